// Adapter dependencies for Hamsa tests: real config parsing and the real vendor HTTP client,
// pointed at the loopback fake.

import { loadConfig } from "../../../src/config.js";
import { createLogger } from "../../../src/logger.js";
import { createVendorHttpClient } from "../../../src/providers/http/vendor-http-client.js";
import type { AdapterDeps, ReplayGuard } from "../../../src/providers/provider.js";

export function memoryReplayGuard(): ReplayGuard {
  const seen = new Set<string>();
  return {
    firstSeen(key) {
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
  };
}

export function hamsaTestDeps(env: Record<string, string | undefined>, logLines: string[] = []): AdapterDeps {
  const config = loadConfig({ MEDIA_JOBS_HTTP_TIMEOUT_MS: "10000", ...env });
  const secrets = [env.HAMSA_API_KEY ?? ""].filter(Boolean);
  return {
    config,
    logger: createLogger({ level: "debug", secrets, write: (line) => logLines.push(line) }),
    voiceprints: {
      put: () => undefined,
      get: () => undefined,
      list: () => [],
      delete: () => false,
    },
    replayGuard: memoryReplayGuard(),
    downloader: {
      download: () => Promise.reject(new Error("no downloads in Hamsa tests")),
    },
    createHttpClient: (options) => createVendorHttpClient(options),
  };
}

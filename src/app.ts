// Assembles the process-wide pieces: store, adapters, job service, poller.

import fs from "node:fs";
import type { Config } from "./config.js";
import type { AppContext } from "./context.js";
import { JobService } from "./jobs/job-service.js";
import { Poller } from "./jobs/poller.js";
import { createLogger, type Logger } from "./logger.js";
import type { ProviderAdapter } from "./providers/provider.js";
import { ProviderRegistry } from "./providers/registry.js";
import type { JobStore } from "./store/store.js";
import { openJobStore } from "./store/open-store.js";
import { passwordOf } from "./store/pg-url.js";
import { UploadService } from "./uploads/upload-service.js";

export interface App extends AppContext {
  poller: Poller;
  close(): Promise<void>;
}

export function readVersion(): string {
  try {
    const manifest = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return manifest.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function secretsOf(config: Config): string[] {
  return [
    config.hume.apiKey,
    config.pyannote.apiKey,
    config.hamsa.apiKey,
    config.humanstandard.apiKey,
    config.pyannote.webhookSecret,
    config.humanstandard.webhookSecret,
    config.http.token,
    config.databaseUrl !== undefined ? passwordOf(config.databaseUrl) : undefined,
  ].filter((secret): secret is string => typeof secret === "string" && secret.length > 0);
}

/** Wires an app from adapters built by the caller (createDefaultApp builds the real ones). */
export async function assembleApp(
  config: Config,
  build: (parts: { logger: Logger; store: JobStore }) => ProviderAdapter[],
  options: { logger?: Logger } = {},
): Promise<App> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  const store = await openJobStore(config, {
    logger,
    onDamagedJob: (id, damage) =>
      logger.error(
        `job ${id} is damaged in the store (${damage}); it is set aside and every other job goes on`,
        config.databaseUrl !== undefined ? {} : { data_dir: config.dataDir },
      ),
  });
  const uploads = new UploadService(store, { ...config.uploads, logger });
  // Jobs that read an uploaded file get it back from the store where this machine lacks it.
  const providers = new ProviderRegistry(build({ logger, store }).map((adapter) => uploads.withFiles(adapter)));
  const jobs = new JobService({ store, registry: providers, logger, publicUrl: config.publicUrl, poll: config.poll, lease: { durationMs: config.leaseMs }, multiUser: config.oauth !== undefined });
  const poller = new Poller(jobs, logger, {
    tickMs: Math.max(20, Math.min(1_000, Math.floor(config.poll.initialDelayMs / 2))),
    concurrencyPerProvider: 4,
  });
  uploads.start();
  let closed = false;
  return {
    config,
    store,
    jobs,
    providers,
    logger,
    version: readVersion(),
    poller,
    uploads,
    async close() {
      if (closed) return;
      closed = true;
      uploads.stop();
      await poller.stop();
      await providers.close();
      // After the adapters stopped their work: another server may take these jobs over now.
      // Released before the store closes, and whatever that answers the store is closed.
      try {
        await jobs.releaseLeases();
      } catch (error) {
        logger.warning("job leases could not be released; another server takes them over when they expire", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      jobs.close();
      await store.close();
    },
  };
}

// What provider tests give an adapter factory: real config parsing, a real logger (captured,
// with the API keys redacted) and the real vendor HTTP client pointed at a loopback fake, plus
// in-memory voiceprints and replay guard. One copy, so every adapter is tested against the
// same wiring the server uses.

import { loadConfig } from "../../src/config.js";
import type { LogLevel } from "../../src/config.js";
import { jobId, type Job, type JobSnapshot, type ProviderId, type TaskId } from "../../src/jobs/job.js";
import { createLogger } from "../../src/logger.js";
import type { VendorHttpClientOptions } from "../../src/providers/http/types.js";
import { createVendorHttpClient } from "../../src/providers/http/vendor-http-client.js";
import type { AdapterDeps, MediaDownloader, ReplayGuard, VoiceprintStore } from "../../src/providers/provider.js";

/** Accepts each key once, like the SQLite-backed guard, but forgets nothing (tests are short). */
export function memoryReplayGuard(): ReplayGuard {
  const seen = new Set<string>();
  return {
    async firstSeen(key) {
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
  };
}

export function memoryVoiceprints(): VoiceprintStore {
  // Keyed by owner and label, like the SQLite table; owner undefined reads across owners.
  const entries = new Map<string, { owner: string; label: string; voiceprint: string; provider: ProviderId; sourceJobId: string; createdAt: string }>();
  const matching = (label: string | undefined, owner: string | undefined) =>
    [...entries.values()].filter((entry) => (label === undefined || entry.label === label) && (owner === undefined || entry.owner === owner));
  return {
    put: async (label, voiceprint, meta) =>
      void entries.set(`${meta.owner ?? ""}\u0000${label}`, { owner: meta.owner ?? "", label, voiceprint, provider: meta.provider, sourceJobId: meta.sourceJobId, createdAt: new Date().toISOString() }),
    get: async (label, owner) => matching(label, owner).sort((a, b) => Number(a.owner !== "") - Number(b.owner !== ""))[0]?.voiceprint,
    list: async (owner) => matching(undefined, owner).map(({ label, provider, sourceJobId, createdAt }) => ({ label, provider, sourceJobId, createdAt })),
    delete: async (label, owner) => {
      const found = matching(label, owner);
      for (const entry of found) entries.delete(`${entry.owner}\u0000${entry.label}`);
      return found.length > 0;
    },
  };
}

export interface TestAdapterDepsOptions {
  /** Receives every log line the adapter writes (after redaction). */
  logLines?: string[];
  /** Lowest level written to `logLines`; "debug" unless a test wants less. */
  logLevel?: LogLevel;
  voiceprints?: VoiceprintStore;
  replayGuard?: ReplayGuard;
  /** Rejects every download unless given: vendor adapters pass URLs through, they do not fetch them. */
  downloader?: MediaDownloader;
  /** The real vendor client unless given. */
  createHttpClient?: AdapterDeps["createHttpClient"];
  /** Retry timings for the real client, e.g. short delays so a 429 test stays fast. */
  retry?: VendorHttpClientOptions["retry"];
}

const API_KEY_NAMES = ["HUME_API_KEY", "PYANNOTEAI_API_KEY", "HAMSA_API_KEY", "HUMANSTANDARD_API_KEY"] as const;

export function testAdapterDeps(env: Record<string, string | undefined>, options: TestAdapterDepsOptions = {}): AdapterDeps {
  const logLines = options.logLines ?? [];
  const secrets = API_KEY_NAMES.map((name) => env[name]).filter((value): value is string => Boolean(value));
  const retry = options.retry;
  return {
    config: loadConfig(env),
    logger: createLogger({ level: options.logLevel ?? "debug", secrets, write: (line) => logLines.push(line) }),
    voiceprints: options.voiceprints ?? memoryVoiceprints(),
    replayGuard: options.replayGuard ?? memoryReplayGuard(),
    downloader: options.downloader ?? { download: (url) => Promise.reject(new Error(`no downloads in this test (${url})`)) },
    createHttpClient:
      options.createHttpClient ?? (retry ? (clientOptions) => createVendorHttpClient({ ...clientOptions, retry }) : createVendorHttpClient),
  };
}

const TEST_TIME = "2026-03-01T10:00:00Z";

/**
 * The job the core would have stored after seeing `snapshot`: what tests hand to fetchResults,
 * cancel and condense. Fixed timestamps unless the snapshot or `overrides` say otherwise.
 */
export function jobFromSnapshot(provider: ProviderId, task: TaskId, snapshot: JobSnapshot, overrides: Partial<Job> = {}): Job {
  return {
    id: jobId(provider, snapshot.nativeId),
    provider,
    nativeId: snapshot.nativeId,
    task,
    label: snapshot.label,
    status: snapshot.status,
    inputs: snapshot.inputs ?? [],
    options: {},
    createdAt: snapshot.createdAt ?? TEST_TIME,
    updatedAt: TEST_TIME,
    progress: snapshot.progress,
    resultState: "none",
    pollCount: 0,
    ...overrides,
  };
}

// A full data directory: start_job sends nothing to a vendor whose job it could not record, and
// says the disk is full (with the path) instead of "internal error". The store's database fails
// every write with the error SQLite gives on a full disk (SQLITE_FULL, provoked for real on a
// scratch database), as a data dir on a full file system does.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { StorageFullError } from "../../src/errors.js";
import { JobService, type StartJobArguments } from "../../src/jobs/job-service.js";
import { createLogger } from "../../src/logger.js";
import { createAdapters } from "../../src/providers/all-providers.js";
import { ProviderRegistry } from "../../src/providers/registry.js";
import { openSqliteJobStore } from "../../src/store/sqlite-store.js";
import type { FakeServer } from "../fakes/fake-server.js";
import { startHamsaFake } from "../fakes/hamsa-fake.js";
import { startHumanStandardFake } from "../fakes/humanstandard-fake.js";
import { startHumeFake } from "../fakes/hume-fake.js";
import { startPyannoteFake } from "../fakes/pyannote-fake.js";
import { testAdapterDeps } from "../support/adapter-deps.js";

/** The error node:sqlite throws when SQLite cannot grow its file. */
function diskFullError(): unknown {
  const scratch = new DatabaseSync(":memory:");
  try {
    scratch.exec("CREATE TABLE padding (value TEXT)");
    const pages = (scratch.prepare("PRAGMA page_count").get() as { page_count: number }).page_count;
    scratch.exec(`PRAGMA max_page_count = ${pages}`);
    scratch.prepare("INSERT INTO padding VALUES (?)").run("x".repeat(100_000));
  } catch (error) {
    return error;
  } finally {
    scratch.close();
  }
  throw new Error("SQLite did not report a full database");
}

const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE|COMMIT)\b/i;

/** A database whose writes fail as on a full disk while `full` is set; reads go on. */
class FillableDatabase extends DatabaseSync {
  full = false;

  override prepare(sql: string): StatementSync {
    const statement = super.prepare(sql);
    if (!WRITE.test(sql)) return statement;
    const database = this;
    return new Proxy(statement, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (property === "run" && database.full) {
          return () => {
            throw diskFullError();
          };
        }
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  override exec(sql: string): void {
    if (this.full && WRITE.test(sql)) throw diskFullError();
    super.exec(sql);
  }
}

interface Vendor {
  server: FakeServer;
  createPath: string;
  arguments: StartJobArguments;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const pyannote = await startPyannoteFake();
  const hume = await startHumeFake();
  const hamsa = await startHamsaFake();
  const humanStandard = await startHumanStandardFake();
  const url = "https://media.example.com/talk.wav";
  const vendors: Vendor[] = [
    { server: pyannote.server, createPath: "/v1/diarize", arguments: { provider: "pyannote", media: [{ kind: "url", url }], options: {} }, close: () => pyannote.close() },
    { server: hume.server, createPath: "/v0/batch/jobs", arguments: { provider: "hume", media: [{ kind: "url", url }], options: {} }, close: () => hume.close() },
    { server: hamsa.server, createPath: "/v1/jobs/transcribe", arguments: { provider: "hamsa", media: [{ kind: "url", url }], options: {} }, close: () => hamsa.close() },
    { server: humanStandard.server, createPath: "/jobs", arguments: { provider: "humanstandard", media: [{ kind: "url", url }], options: {} }, close: () => humanStandard.close() },
  ];
  for (const vendor of vendors) cleanups.push(() => vendor.close());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-full-"));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  let database: FillableDatabase | undefined;
  const store = openSqliteJobStore(dataDir, { openDatabase: (file) => (database = new FillableDatabase(file)) });
  cleanups.push(() => store.close());
  const deps = testAdapterDeps({
    PYANNOTEAI_API_KEY: pyannote.apiKey,
    PYANNOTEAI_BASE_URL: pyannote.baseUrl,
    HUME_API_KEY: hume.apiKey,
    HUME_BASE_URL: hume.baseUrl,
    HAMSA_API_KEY: hamsa.apiKey,
    HAMSA_BASE_URL: hamsa.baseUrl,
    HUMANSTANDARD_API_KEY: humanStandard.apiKey,
    HUMANSTANDARD_BASE_URL: humanStandard.baseUrl,
  });
  const registry = new ProviderRegistry(createAdapters(deps));
  cleanups.push(() => registry.close());
  const service = new JobService({
    store,
    registry,
    logger: createLogger({ level: "error", secrets: [], write: () => undefined }),
    poll: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
  });
  return { vendors, dataDir, store, service, database: database! };
}

describe("a full data directory", () => {
  it("sends no create call to any vendor, and every start_job says the data directory is full", async () => {
    const { vendors, dataDir, store, service, database } = await setup();
    // One job recorded while there was room: it stays readable.
    const before = await service.start(vendors[0]!.arguments);
    database.full = true;
    for (let round = 0; round < 5; round++) {
      for (const vendor of vendors) {
        const attempt = service.start({ ...vendor.arguments, idempotencyKey: `full-${round}` });
        await expect(attempt).rejects.toBeInstanceOf(StorageFullError);
        await expect(attempt).rejects.toThrow(`the data directory is full (${dataDir}): nothing was sent to`);
      }
    }
    expect(vendors[0]!.server.requestsTo("POST", vendors[0]!.createPath)).toHaveLength(1);
    for (const vendor of vendors.slice(1)) expect(vendor.server.requestsTo("POST", vendor.createPath)).toHaveLength(0);
    expect((await store.listJobs({ limit: 10 })).jobs.map((job) => job.id)).toEqual([before.job.id]);
    expect((await service.get(before.job.id)).id).toBe(before.job.id);

    // Room again: the same keys submit normally (nothing was held).
    database.full = false;
    const after = await service.start({ ...vendors[1]!.arguments, idempotencyKey: "full-0" });
    expect(after.deduplicated).toBe(false);
    expect(vendors[1]!.server.requestsTo("POST", vendors[1]!.createPath)).toHaveLength(1);
  });

  it("when the disk fills while the vendor creates the job, says so, and the retry with the same key picks that job up", async () => {
    const { vendors, service, database } = await setup();
    const hume = vendors[1]!;
    hume.server.injectFault({ kind: "delay", delayMs: 300 }, { method: "POST", pathPrefix: hume.createPath });
    const args = { ...hume.arguments, idempotencyKey: "filling" };
    const attempt = service.start(args);
    while (hume.server.requestsTo("POST", hume.createPath).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    database.full = true;
    await expect(attempt).rejects.toThrow(/^the data directory is full \(.*\): Hume.* accepted the job \(hume:[\w-]+\) but it could not be recorded.*same arguments and idempotency_key/);
    database.full = false;
    const retried = await service.start(args);
    expect(retried.deduplicated).toBe(true);
    expect(retried.job.id).toMatch(/^hume:/);
    expect(hume.server.requestsTo("POST", hume.createPath)).toHaveLength(1);
  });
});

// What only the SQLite store has: a file on disk (compressed parts) and the upgrade of data dirs
// older versions wrote. Everything every store does is in store-contract.ts.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/job.js";
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS, openSqliteJobStore } from "../../src/store/sqlite-store.js";
import type { JobStore } from "../../src/store/store.js";

const dirs: string[] = [];
const stores: JobStore[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-store-"));
  dirs.push(dir);
  return dir;
}
function open(dir: string, now?: () => number): JobStore {
  const store = openSqliteJobStore(dir, now ? { now } : {});
  stores.push(store);
  return store;
}
afterEach(async () => {
  for (const store of stores.splice(0)) {
    try {
      await store.close();
    } catch {
      // already closed
    }
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function job(id: string, createdAt: string, overrides: Partial<Job> = {}): Job {
  return {
    id,
    provider: "pyannote",
    nativeId: id.split(":")[1]!,
    task: "diarize",
    status: "running",
    inputs: [{ kind: "url", url: "https://example.com/a.wav" }],
    options: {},
    createdAt,
    updatedAt: createdAt,
    resultState: "none",
    pollCount: 0,
    ...overrides,
  };
}

describe("sqlite job store", () => {
  it("stores results compressed: a repetitive 1 MB part takes far less room on disk", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.insertJob(job("pyannote:big", "2026-01-01T00:00:00.000Z"));
    const big = Buffer.from(JSON.stringify(Array.from({ length: 20_000 }, (_, index) => ({ speaker: "SPEAKER_00", start: index }))));
    await store.putResultPart("pyannote:big", "output.json", big, "application/json");
    await store.close();
    const fileBytes = fs.statSync(path.join(dir, "jobs.sqlite")).size + (fs.existsSync(path.join(dir, "jobs.sqlite-wal")) ? fs.statSync(path.join(dir, "jobs.sqlite-wal")).size : 0);
    expect(big.length).toBeGreaterThan(400_000);
    expect(fileBytes).toBeLessThan(big.length / 2);
  });

  it("upgrades a data dir written by schema 1 and keeps its jobs due for polling", async () => {
    const dir = tempDir();
    const legacy = new DatabaseSync(path.join(dir, "jobs.sqlite"));
    legacy.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    legacy.exec(MIGRATIONS[0]!);
    legacy.prepare("INSERT INTO schema_migrations VALUES (1, 't')").run();
    const old = job("pyannote:old", "2026-01-01T00:00:00.000Z", { nextPollAt: 1_000 });
    legacy.prepare("INSERT INTO jobs (id, provider, task, status, owner, created_at, needs_poll, data) VALUES (?, ?, ?, ?, '', ?, 1, ?)").run(old.id, old.provider, old.task, old.status, old.createdAt, JSON.stringify(old));
    legacy.close();
    const store = open(dir);
    expect(await store.listJobsDue(500)).toEqual([]);
    expect((await store.listJobsDue(1_000)).map((entry) => entry.id)).toEqual(["pyannote:old"]);
  });
});

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
afterEach(() => {
  for (const store of stores.splice(0)) {
    try {
      store.close();
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
  it("keeps jobs, results and voiceprints across a reopen of the data dir", () => {
    const dir = tempDir();
    const first = open(dir);
    first.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z"));
    first.putResultPart("pyannote:a", "output.json", Buffer.from('{"x":1}'), "application/json");
    first.putResultIndex("pyannote:a", { speakers: 2 }, "2 speakers");
    first.voiceprints.put("alice", "VOICEPRINT-SECRET", { provider: "pyannote", sourceJobId: "pyannote:v" });
    first.close();

    const second = open(dir);
    expect(second.getJob("pyannote:a")?.status).toBe("running");
    expect(second.getResultPart("pyannote:a", "output.json")?.data.toString()).toBe('{"x":1}');
    expect(second.getResultIndex("pyannote:a")).toEqual({ index: { speakers: 2 }, description: "2 speakers" });
    expect(second.voiceprints.get("alice")).toBe("VOICEPRINT-SECRET");
    expect(second.listJobsDue(Date.now()).map((entry) => entry.id)).toEqual(["pyannote:a"]);
  });

  it("stores results compressed: a repetitive 1 MB part takes far less room on disk", () => {
    const dir = tempDir();
    const store = open(dir);
    store.insertJob(job("pyannote:big", "2026-01-01T00:00:00.000Z"));
    const big = Buffer.from(JSON.stringify(Array.from({ length: 20_000 }, (_, index) => ({ speaker: "SPEAKER_00", start: index }))));
    store.putResultPart("pyannote:big", "output.json", big, "application/json");
    store.close();
    const fileBytes = fs.statSync(path.join(dir, "jobs.sqlite")).size + (fs.existsSync(path.join(dir, "jobs.sqlite-wal")) ? fs.statSync(path.join(dir, "jobs.sqlite-wal")).size : 0);
    expect(big.length).toBeGreaterThan(400_000);
    expect(fileBytes).toBeLessThan(big.length / 2);
  });

  it("appends parts chunk by chunk and reads them back in order", () => {
    const store = open(tempDir());
    store.insertJob(job("humanstandard:j", "2026-01-01T00:00:00.000Z"));
    store.appendResultPart("humanstandard:j", "results.ndjson", Buffer.from('{"a":1}\n{"b"'), "application/x-ndjson");
    store.appendResultPart("humanstandard:j", "results.ndjson", Buffer.from(':2}\n'), "application/x-ndjson");
    expect(store.getResultPart("humanstandard:j", "results.ndjson")?.data.toString()).toBe('{"a":1}\n{"b":2}\n');
    expect(store.listResultParts("humanstandard:j")).toEqual([{ name: "results.ndjson", contentType: "application/x-ndjson", bytes: 16 }]);
  });

  it("lists only jobs whose poll time has come, and none that are settled", () => {
    const store = open(tempDir());
    store.insertJob(job("pyannote:due", "2026-01-01T00:00:00.000Z", { nextPollAt: 1_000 }));
    store.insertJob(job("pyannote:later", "2026-01-01T00:00:01.000Z", { nextPollAt: 5_000 }));
    store.insertJob(job("pyannote:done", "2026-01-01T00:00:02.000Z", { status: "succeeded", resultState: "stored" }));
    store.insertJob(job("pyannote:fetch", "2026-01-01T00:00:03.000Z", { status: "succeeded", resultState: "none", nextPollAt: 2_000 }));
    expect(store.listJobsDue(2_000).map((entry) => entry.id)).toEqual(["pyannote:due", "pyannote:fetch"]);
    const later = store.getJob("pyannote:later")!;
    store.saveJob({ ...later, nextPollAt: 1_500 });
    expect(store.listJobsDue(2_000).map((entry) => entry.id).sort()).toEqual(["pyannote:due", "pyannote:fetch", "pyannote:later"]);
  });

  it("upgrades a data dir written by schema 1 and keeps its jobs due for polling", () => {
    const dir = tempDir();
    const legacy = new DatabaseSync(path.join(dir, "jobs.sqlite"));
    legacy.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    legacy.exec(MIGRATIONS[0]!);
    legacy.prepare("INSERT INTO schema_migrations VALUES (1, 't')").run();
    const old = job("pyannote:old", "2026-01-01T00:00:00.000Z", { nextPollAt: 1_000 });
    legacy.prepare("INSERT INTO jobs (id, provider, task, status, owner, created_at, needs_poll, data) VALUES (?, ?, ?, ?, '', ?, 1, ?)").run(old.id, old.provider, old.task, old.status, old.createdAt, JSON.stringify(old));
    legacy.close();
    const store = open(dir);
    expect(store.listJobsDue(500)).toEqual([]);
    expect(store.listJobsDue(1_000).map((entry) => entry.id)).toEqual(["pyannote:old"]);
  });

  it("refuses to move a terminal job to another status", () => {
    const store = open(tempDir());
    const ended = job("pyannote:t", "2026-01-01T00:00:00.000Z", { status: "succeeded", resultState: "stored" });
    store.insertJob(ended);
    expect(() => store.saveJob({ ...ended, status: "running" })).toThrow(/terminal status never changes/);
    expect(store.getJob("pyannote:t")?.status).toBe("succeeded");
  });

  it("lists newest first with a cursor that pages without gaps or repeats, and filters by status", () => {
    const store = open(tempDir());
    for (let index = 0; index < 7; index++) {
      store.insertJob(job(`pyannote:j${index}`, `2026-01-01T00:00:0${index}.000Z`, { status: index % 2 ? "succeeded" : "running", resultState: "stored" }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = store.listJobs({ limit: 3, cursor });
      seen.push(...page.jobs.map((entry) => entry.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["pyannote:j6", "pyannote:j5", "pyannote:j4", "pyannote:j3", "pyannote:j2", "pyannote:j1", "pyannote:j0"]);
    expect(store.listJobs({ limit: 10, statuses: ["succeeded"] }).jobs.map((entry) => entry.id)).toEqual(["pyannote:j5", "pyannote:j3", "pyannote:j1"]);
    expect(() => store.listJobs({ limit: 3, cursor: "garbage" })).toThrow(/cursor/);
  });

  it("reserves an idempotency key once and reports the first reservation to later callers", () => {
    const store = open(tempDir());
    expect(store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f1" })).toBeUndefined();
    expect(store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f2" })).toMatchObject({ fingerprint: "f1", jobId: undefined });
    store.completeIdempotencyKey("k", "", "pyannote:x");
    expect(store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f1" })).toMatchObject({ jobId: "pyannote:x" });
    // Another owner has its own key space.
    expect(store.reserveIdempotencyKey({ key: "k", owner: "other", fingerprint: "f1" })).toBeUndefined();
  });

  it("rejects a replayed webhook delivery until it expires", () => {
    let now = 1_000_000;
    const store = open(tempDir(), () => now);
    expect(store.replayGuard.firstSeen("sig-1", 60_000)).toBe(true);
    expect(store.replayGuard.firstSeen("sig-1", 60_000)).toBe(false);
    now += 61_000;
    expect(store.replayGuard.firstSeen("sig-1", 60_000)).toBe(true);
  });

  it("completes job ids by prefix, treating _ and % literally", () => {
    const store = open(tempDir());
    store.insertJob(job("pyannote:ab_1", "2026-01-01T00:00:00.000Z"));
    store.insertJob(job("pyannote:abx1", "2026-01-01T00:00:01.000Z"));
    store.insertJob(job("pyannote:zz", "2026-01-01T00:00:02.000Z"));
    expect(store.completeJobIds("pyannote:ab_", 10)).toEqual(["pyannote:ab_1"]);
    expect(store.completeJobIds("pyannote:ab", 10)).toEqual(["pyannote:ab_1", "pyannote:abx1"]);
  });

  it("completes an owner's job ids only, however many of another owner's come first", () => {
    const store = open(tempDir());
    for (let index = 0; index < 150; index++) store.insertJob(job(`pyannote:a${String(index).padStart(3, "0")}`, "2026-01-01T00:00:00.000Z", { owner: "bob" }));
    store.insertJob(job("pyannote:b1", "2026-01-01T00:00:00.000Z", { owner: "alice" }));
    store.insertJob(job("pyannote:b2", "2026-01-01T00:00:00.000Z"));
    expect(store.completeJobIds("pyannote:", 20, "alice")).toEqual(["pyannote:b1"]);
    expect(store.completeJobIds("pyannote:a00", 20, "alice")).toEqual([]);
    expect(store.completeJobIds("pyannote:a00", 20, "bob")).toHaveLength(10);
    // Without an owner (one person over stdio): every job.
    expect(store.completeJobIds("pyannote:b", 20)).toEqual(["pyannote:b1", "pyannote:b2"]);
  });
});

describe("job leases (one server at a time per job)", () => {
  it("gives a job to one holder until it lets go or its lease runs out, and lists due jobs only to whoever may take them", () => {
    const dir = tempDir();
    let now = 1_000_000;
    const processA = open(dir, () => now);
    const processB = open(dir, () => now);
    processA.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z", { nextPollAt: now }));
    processA.insertJob(job("pyannote:b", "2026-01-01T00:00:01.000Z", { nextPollAt: now }));

    expect(processA.claimJob("pyannote:a", "A", 10_000)).toBe(true);
    expect(processB.claimJob("pyannote:a", "B", 10_000)).toBe(false);
    expect(processA.claimJob("pyannote:a", "A", 10_000)).toBe(true);
    // B sees only the unleased job as due; A sees both.
    expect(processB.listJobsDue(now, "B").map((entry) => entry.id)).toEqual(["pyannote:b"]);
    expect(processA.listJobsDue(now, "A").map((entry) => entry.id).sort()).toEqual(["pyannote:a", "pyannote:b"]);

    // Renewed while A lives: still A's after the first lease would have run out.
    now += 8_000;
    expect(processA.renewLeases("A", 10_000)).toBe(1);
    now += 8_000;
    expect(processB.claimJob("pyannote:a", "B", 10_000)).toBe(false);
    // A stops renewing (killed): B takes over once the lease has run out.
    now += 2_001;
    expect(processB.listJobsDue(now, "B").map((entry) => entry.id)).toContain("pyannote:a");
    expect(processB.claimJob("pyannote:a", "B", 10_000)).toBe(true);
    expect(processA.claimJob("pyannote:a", "A", 10_000)).toBe(false);
    expect(processA.renewLeases("A", 10_000)).toBe(0);

    // A clean shutdown hands everything back at once.
    processB.releaseLeases("B");
    expect(processA.claimJob("pyannote:a", "A", 10_000)).toBe(true);
  });
});

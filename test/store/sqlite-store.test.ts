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
  it("keeps jobs, results and voiceprints across a reopen of the data dir", async () => {
    const dir = tempDir();
    const first = open(dir);
    await first.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z"));
    await first.putResultPart("pyannote:a", "output.json", Buffer.from('{"x":1}'), "application/json");
    await first.putResultIndex("pyannote:a", { speakers: 2 }, "2 speakers");
    await first.voiceprints.put("alice", "VOICEPRINT-SECRET", { provider: "pyannote", sourceJobId: "pyannote:v" });
    await first.close();

    const second = open(dir);
    expect((await second.getJob("pyannote:a"))?.status).toBe("running");
    expect((await second.getResultPart("pyannote:a", "output.json"))?.data.toString()).toBe('{"x":1}');
    expect(await second.getResultIndex("pyannote:a")).toEqual({ index: { speakers: 2 }, description: "2 speakers" });
    expect(await second.voiceprints.get("alice")).toBe("VOICEPRINT-SECRET");
    expect((await second.listJobsDue(Date.now())).map((entry) => entry.id)).toEqual(["pyannote:a"]);
  });

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

  it("appends parts chunk by chunk and reads them back in order", async () => {
    const store = open(tempDir());
    await store.insertJob(job("humanstandard:j", "2026-01-01T00:00:00.000Z"));
    await store.appendResultPart("humanstandard:j", "results.ndjson", Buffer.from('{"a":1}\n{"b"'), "application/x-ndjson");
    await store.appendResultPart("humanstandard:j", "results.ndjson", Buffer.from(':2}\n'), "application/x-ndjson");
    expect((await store.getResultPart("humanstandard:j", "results.ndjson"))?.data.toString()).toBe('{"a":1}\n{"b":2}\n');
    expect(await store.listResultParts("humanstandard:j")).toEqual([{ name: "results.ndjson", contentType: "application/x-ndjson", bytes: 16 }]);
  });

  it("lists only jobs whose poll time has come, and none that are settled", async () => {
    const store = open(tempDir());
    await store.insertJob(job("pyannote:due", "2026-01-01T00:00:00.000Z", { nextPollAt: 1_000 }));
    await store.insertJob(job("pyannote:later", "2026-01-01T00:00:01.000Z", { nextPollAt: 5_000 }));
    await store.insertJob(job("pyannote:done", "2026-01-01T00:00:02.000Z", { status: "succeeded", resultState: "stored" }));
    await store.insertJob(job("pyannote:fetch", "2026-01-01T00:00:03.000Z", { status: "succeeded", resultState: "none", nextPollAt: 2_000 }));
    expect((await store.listJobsDue(2_000)).map((entry) => entry.id)).toEqual(["pyannote:due", "pyannote:fetch"]);
    const later = (await store.getJob("pyannote:later"))!;
    await store.saveJob({ ...later, nextPollAt: 1_500 });
    expect((await store.listJobsDue(2_000)).map((entry) => entry.id).sort()).toEqual(["pyannote:due", "pyannote:fetch", "pyannote:later"]);
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

  it("refuses to move a terminal job to another status", async () => {
    const store = open(tempDir());
    const ended = job("pyannote:t", "2026-01-01T00:00:00.000Z", { status: "succeeded", resultState: "stored" });
    await store.insertJob(ended);
    await expect(store.saveJob({ ...ended, status: "running" })).rejects.toThrow(/terminal status never changes/);
    expect((await store.getJob("pyannote:t"))?.status).toBe("succeeded");
  });

  it("lists newest first with a cursor that pages without gaps or repeats, and filters by status", async () => {
    const store = open(tempDir());
    for (let index = 0; index < 7; index++) {
      await store.insertJob(job(`pyannote:j${index}`, `2026-01-01T00:00:0${index}.000Z`, { status: index % 2 ? "succeeded" : "running", resultState: "stored" }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listJobs({ limit: 3, cursor });
      seen.push(...page.jobs.map((entry) => entry.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["pyannote:j6", "pyannote:j5", "pyannote:j4", "pyannote:j3", "pyannote:j2", "pyannote:j1", "pyannote:j0"]);
    expect((await store.listJobs({ limit: 10, statuses: ["succeeded"] })).jobs.map((entry) => entry.id)).toEqual(["pyannote:j5", "pyannote:j3", "pyannote:j1"]);
    await expect(store.listJobs({ limit: 3, cursor: "garbage" })).rejects.toThrow(/cursor/);
  });

  it("reserves an idempotency key once and reports the first reservation to later callers", async () => {
    const store = open(tempDir());
    expect(await store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f1" })).toBeUndefined();
    expect(await store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f2" })).toMatchObject({ fingerprint: "f1", jobId: undefined });
    await store.completeIdempotencyKey("k", "", "pyannote:x");
    expect(await store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f1" })).toMatchObject({ jobId: "pyannote:x" });
    // Another owner has its own key space.
    expect(await store.reserveIdempotencyKey({ key: "k", owner: "other", fingerprint: "f1" })).toBeUndefined();
  });

  it("rejects a replayed webhook delivery until it expires", async () => {
    let now = 1_000_000;
    const store = open(tempDir(), () => now);
    expect(await store.replayGuard.firstSeen("sig-1", 60_000)).toBe(true);
    expect(await store.replayGuard.firstSeen("sig-1", 60_000)).toBe(false);
    now += 61_000;
    expect(await store.replayGuard.firstSeen("sig-1", 60_000)).toBe(true);
  });

  it("completes job ids by prefix, treating _ and % literally", async () => {
    const store = open(tempDir());
    await store.insertJob(job("pyannote:ab_1", "2026-01-01T00:00:00.000Z"));
    await store.insertJob(job("pyannote:abx1", "2026-01-01T00:00:01.000Z"));
    await store.insertJob(job("pyannote:zz", "2026-01-01T00:00:02.000Z"));
    expect(await store.completeJobIds("pyannote:ab_", 10)).toEqual(["pyannote:ab_1"]);
    expect(await store.completeJobIds("pyannote:ab", 10)).toEqual(["pyannote:ab_1", "pyannote:abx1"]);
  });

  it("completes an owner's job ids only, however many of another owner's come first", async () => {
    const store = open(tempDir());
    for (let index = 0; index < 150; index++) await store.insertJob(job(`pyannote:a${String(index).padStart(3, "0")}`, "2026-01-01T00:00:00.000Z", { owner: "bob" }));
    await store.insertJob(job("pyannote:b1", "2026-01-01T00:00:00.000Z", { owner: "alice" }));
    await store.insertJob(job("pyannote:b2", "2026-01-01T00:00:00.000Z"));
    expect(await store.completeJobIds("pyannote:", 20, "alice")).toEqual(["pyannote:b1"]);
    expect(await store.completeJobIds("pyannote:a00", 20, "alice")).toEqual([]);
    expect(await store.completeJobIds("pyannote:a00", 20, "bob")).toHaveLength(10);
    // Without an owner (one person over stdio): every job.
    expect(await store.completeJobIds("pyannote:b", 20)).toEqual(["pyannote:b1", "pyannote:b2"]);
  });
});

describe("job leases (one server at a time per job)", () => {
  it("gives a job to one holder until it lets go or its lease runs out, and lists due jobs only to whoever may take them", async () => {
    const dir = tempDir();
    let now = 1_000_000;
    const processA = open(dir, () => now);
    const processB = open(dir, () => now);
    await processA.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z", { nextPollAt: now }));
    await processA.insertJob(job("pyannote:b", "2026-01-01T00:00:01.000Z", { nextPollAt: now }));

    expect(await processA.claimJob("pyannote:a", "A", 10_000)).toBe(true);
    expect(await processB.claimJob("pyannote:a", "B", 10_000)).toBe(false);
    expect(await processA.claimJob("pyannote:a", "A", 10_000)).toBe(true);
    // B sees only the unleased job as due; A sees both.
    expect((await processB.listJobsDue(now, "B")).map((entry) => entry.id)).toEqual(["pyannote:b"]);
    expect((await processA.listJobsDue(now, "A")).map((entry) => entry.id).sort()).toEqual(["pyannote:a", "pyannote:b"]);

    // Renewed while A lives: still A's after the first lease would have run out.
    now += 8_000;
    expect(await processA.renewLeases("A", 10_000)).toBe(1);
    now += 8_000;
    expect(await processB.claimJob("pyannote:a", "B", 10_000)).toBe(false);
    // A stops renewing (killed): B takes over once the lease has run out.
    now += 2_001;
    expect((await processB.listJobsDue(now, "B")).map((entry) => entry.id)).toContain("pyannote:a");
    expect(await processB.claimJob("pyannote:a", "B", 10_000)).toBe(true);
    expect(await processA.claimJob("pyannote:a", "A", 10_000)).toBe(false);
    expect(await processA.renewLeases("A", 10_000)).toBe(0);

    // A clean shutdown hands everything back at once.
    await processB.releaseLeases("B");
    expect(await processA.claimJob("pyannote:a", "A", 10_000)).toBe(true);
  });
});

describe("watching job changes", () => {
  it("tells a watcher of each committed job change (not of leases or refused writes) until it unsubscribes", async () => {
    const store = open(tempDir());
    const heard: string[] = [];
    const stop = store.watchJobs((id) => heard.push(id));

    await store.insertJob(job("pyannote:w1", "2026-01-01T00:00:00.000Z"));
    await store.saveJob(job("pyannote:w1", "2026-01-01T00:00:00.000Z", { status: "succeeded", resultState: "stored" }));
    // Leases and poll requests are bookkeeping, not changes of the job.
    await store.claimJob("pyannote:w1", "A", 10_000);
    await store.requestPoll("pyannote:w1", 0);
    await store.releaseLeases("A");
    // A refused write changed nothing.
    await expect(store.saveJob(job("pyannote:w1", "2026-01-01T00:00:00.000Z", { status: "running" }))).rejects.toThrow(/terminal/);
    // A submission that ends with a job stores it; one released stores nothing.
    const submission = {
      id: "sub-1",
      provider: "pyannote" as const,
      task: "diarize" as const,
      owner: "",
      fingerprint: "f",
      request: { media: [], options: {} },
      createdAt: 1,
      holder: "A",
      heldUntil: 2,
      aliveAt: 1,
    };
    await store.beginSubmission(submission);
    await store.finishSubmission("sub-1", { job: job("pyannote:w2", "2026-01-01T00:00:01.000Z") });
    await store.beginSubmission({ ...submission, id: "sub-2" });
    await store.finishSubmission("sub-2", { released: true });
    expect(heard).toEqual(["pyannote:w1", "pyannote:w1", "pyannote:w2"]);

    stop();
    await store.saveJob(job("pyannote:w2", "2026-01-01T00:00:01.000Z", { status: "failed" }));
    expect(heard).toEqual(["pyannote:w1", "pyannote:w1", "pyannote:w2"]);
  });
});

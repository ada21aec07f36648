// The JobStore contract (src/store/store.ts), one suite for every store (its uploads have theirs,
// upload-store-contract.ts): each store's test file
// calls describeStoreContract with a harness that opens stores on a fresh place (a data dir, a
// database schema). Two handles opened on one place are two processes (SQLite) or two replicas
// (PostgreSQL, each with its own pool): what one commits the other must see, and what only one
// may hold (a lease, an idempotency key, a webhook delivery) only one gets.

import { afterEach, describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/job.js";
import type { JobStore } from "../../src/store/store.js";
import { InvalidCursorError } from "../../src/store/job-rows.js";
import type { SubmissionRecord } from "../../src/store/store.js";

export interface StoreOpenOptions {
  /** The store's clock for leases and replay windows. */
  now?: () => number;
  onDamagedJob?: (id: string, damage: string) => void;
}

export interface StoreHarness {
  /** A new, empty place for a store; stores opened on one place share its data. */
  place(): Promise<string>;
  open(place: string, options?: StoreOpenOptions): Promise<JobStore>;
  /** Overwrites a job row's data with something that is not a job, as a bad disk or a hand edit would. */
  damageJob(place: string, id: string): Promise<void>;
  /** Whether watchJobs hears changes committed through another handle (PostgreSQL), or only its own (SQLite: in-process). */
  hearsOtherHandles: boolean;
}

export function job(id: string, createdAt: string, overrides: Partial<Job> = {}): Job {
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

function submission(id: string, overrides: Partial<SubmissionRecord> = {}): SubmissionRecord {
  return {
    id,
    provider: "pyannote",
    task: "diarize",
    owner: "",
    fingerprint: "fp-1",
    request: { media: [{ kind: "url", url: "https://example.com/a.wav" }], options: { model: "precision-2" }, label: "talk" },
    createdAt: 1_000,
    holder: "A",
    heldUntil: 5_000,
    aliveAt: 1_000,
    ...overrides,
  };
}

/** Waits for a condition another connection brings about (a notification), failing after a generous bound. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const ids = (jobs: Job[]) => jobs.map((entry) => entry.id);

export function describeStoreContract(name: string, harness: StoreHarness): void {
  const opened: JobStore[] = [];
  const open = async (place: string, options?: StoreOpenOptions) => {
    const store = await harness.open(place, options);
    opened.push(store);
    return store;
  };
  const fresh = async (options?: StoreOpenOptions) => open(await harness.place(), options);
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  });

  describe(`${name}: jobs`, () => {
    it("answers a readiness ping while open and refuses one once closed", async () => {
      const store = await harness.open(await harness.place());
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await expect(store.ping()).rejects.toThrow();
    });

    it("stores a job and gives it back as it was; an unknown id is undefined; an id is stored once", async () => {
      const store = await fresh();
      const stored = job("pyannote:a", "2026-01-01T00:00:00.000Z", {
        label: "talk",
        owner: "user:alice",
        options: { model: "precision-2", nested: { list: [1, 2] } },
        progress: { done: 3, total: 10, unit: "seconds" },
        nextPollAt: 1_700_000_000_123,
      });
      await store.insertJob(stored);
      expect(await store.getJob("pyannote:a")).toEqual(stored);
      expect(await store.getJob("pyannote:nope")).toBeUndefined();
      await expect(store.insertJob({ ...stored, label: "again" })).rejects.toThrow();
      expect((await store.getJob("pyannote:a"))?.label).toBe("talk");
    });

    it("keeps jobs, results, indexes and voiceprints across a close and reopen", async () => {
      const place = await harness.place();
      const first = await open(place);
      await first.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z"));
      await first.putResultPart("pyannote:a", "output.json", Buffer.from('{"x":1}'), "application/json");
      await first.putResultIndex("pyannote:a", { speakers: 2 }, "2 speakers");
      await first.voiceprints.put("alice", "VOICEPRINT-SECRET", { provider: "pyannote", sourceJobId: "pyannote:v" });
      await first.close();

      const second = await open(place);
      expect((await second.getJob("pyannote:a"))?.status).toBe("running");
      expect((await second.getResultPart("pyannote:a", "output.json"))?.data.toString()).toBe('{"x":1}');
      expect(await second.getResultIndex("pyannote:a")).toEqual({ index: { speakers: 2 }, description: "2 speakers" });
      expect(await second.voiceprints.get("alice")).toBe("VOICEPRINT-SECRET");
      expect(ids(await second.listJobsDue(Date.now()))).toEqual(["pyannote:a"]);
    });

    it("replaces a saved job, refuses to move a terminal job to another status, and refuses a job it does not have", async () => {
      const store = await fresh();
      const running = job("pyannote:t", "2026-01-01T00:00:00.000Z");
      await store.insertJob(running);
      await store.saveJob({ ...running, status: "succeeded", resultState: "stored", progress: { done: 1, total: 1 } });
      expect(await store.getJob("pyannote:t")).toMatchObject({ status: "succeeded", progress: { done: 1, total: 1 } });
      // A terminal job may still be rewritten with its own status (its results arrive later).
      await store.saveJob({ ...running, status: "succeeded", resultState: "stored", warnings: ["late"] });
      expect((await store.getJob("pyannote:t"))?.warnings).toEqual(["late"]);
      await expect(store.saveJob({ ...running, status: "running" })).rejects.toThrow(/terminal status never changes/);
      expect((await store.getJob("pyannote:t"))?.status).toBe("succeeded");
      await expect(store.saveJob(job("pyannote:ghost", "2026-01-01T00:00:00.000Z"))).rejects.toThrow(/not in the store/);
    });

    it("lists newest first, ties by id, with a cursor that pages without gaps or repeats; filters by every field", async () => {
      const store = await fresh();
      for (let index = 0; index < 7; index++) {
        await store.insertJob(
          job(`pyannote:j${index}`, `2026-01-01T00:00:0${index}.000Z`, {
            status: index % 2 ? "succeeded" : "running",
            resultState: "stored",
            owner: index < 4 ? "user:a" : "user:b",
            ...(index === 6 ? { provider: "hume", task: "expression", nativeId: "j6" } : {}),
          }),
        );
      }
      // Two jobs created in the same millisecond: the id decides, so a page boundary between them loses neither.
      await store.insertJob(job("pyannote:tie-a", "2026-01-01T00:00:03.000Z"));
      await store.insertJob(job("pyannote:tie-b", "2026-01-01T00:00:03.000Z"));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listJobs({ limit: 3, cursor });
        expect(page.jobs.length).toBeLessThanOrEqual(3);
        seen.push(...ids(page.jobs));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(["pyannote:j6", "pyannote:j5", "pyannote:j4", "pyannote:tie-b", "pyannote:tie-a", "pyannote:j3", "pyannote:j2", "pyannote:j1", "pyannote:j0"]);
      expect((await store.listJobs({ limit: 9 })).nextCursor).toBeUndefined();

      expect(ids((await store.listJobs({ limit: 10, statuses: ["succeeded"] })).jobs)).toEqual(["pyannote:j5", "pyannote:j3", "pyannote:j1"]);
      expect(ids((await store.listJobs({ limit: 10, provider: "hume" })).jobs)).toEqual(["pyannote:j6"]);
      expect(ids((await store.listJobs({ limit: 10, task: "expression" })).jobs)).toEqual(["pyannote:j6"]);
      expect(ids((await store.listJobs({ limit: 10, owner: "user:b" })).jobs)).toEqual(["pyannote:j6", "pyannote:j5", "pyannote:j4"]);
      expect(ids((await store.listJobs({ limit: 10, owner: "" })).jobs)).toEqual(["pyannote:tie-b", "pyannote:tie-a"]);
      expect(
        ids((await store.listJobs({ limit: 10, createdAfter: "2026-01-01T00:00:02.000Z", createdBefore: "2026-01-01T00:00:05.000Z", statuses: ["running", "succeeded"] })).jobs),
      ).toEqual(["pyannote:j4", "pyannote:tie-b", "pyannote:tie-a", "pyannote:j3", "pyannote:j2"]);
      const ownerPage = await store.listJobs({ limit: 2, owner: "user:a" });
      expect(ids(ownerPage.jobs)).toEqual(["pyannote:j3", "pyannote:j2"]);
      expect(ids((await store.listJobs({ limit: 2, owner: "user:a", cursor: ownerPage.nextCursor })).jobs)).toEqual(["pyannote:j1", "pyannote:j0"]);
      await expect(store.listJobs({ limit: 3, cursor: "garbage" })).rejects.toThrow(InvalidCursorError);
    });

    it("completes job ids by prefix, treating _ and % literally, up to the limit, and with an owner only that owner's", async () => {
      const store = await fresh();
      await store.insertJob(job("pyannote:ab_1", "2026-01-01T00:00:00.000Z", { owner: "user:a" }));
      await store.insertJob(job("pyannote:abx1", "2026-01-01T00:00:01.000Z"));
      await store.insertJob(job("pyannote:ab%2", "2026-01-01T00:00:02.000Z", { owner: "user:b" }));
      await store.insertJob(job("pyannote:zz", "2026-01-01T00:00:03.000Z", { owner: "user:a" }));
      expect(await store.completeJobIds("pyannote:ab_", 10)).toEqual(["pyannote:ab_1"]);
      expect(await store.completeJobIds("pyannote:ab%", 10)).toEqual(["pyannote:ab%2"]);
      expect(await store.completeJobIds("pyannote:ab", 10)).toEqual(["pyannote:ab%2", "pyannote:ab_1", "pyannote:abx1"]);
      expect(await store.completeJobIds("pyannote:", 2)).toEqual(["pyannote:ab%2", "pyannote:ab_1"]);
      expect(await store.completeJobIds("hume:", 10)).toEqual([]);
      // Another user's ids sorting first do not crowd out the owner's own.
      expect(await store.completeJobIds("pyannote:", 2, "user:a")).toEqual(["pyannote:ab_1", "pyannote:zz"]);
      expect(await store.completeJobIds("pyannote:", 10, "")).toEqual(["pyannote:abx1"]);
      expect(await store.completeJobIds("pyannote:", 10, "user:c")).toEqual([]);
    });
  });

  describe(`${name}: polling and leases`, () => {
    it("lists only jobs whose poll time has come, soonest first, and none that are settled", async () => {
      const store = await fresh();
      await store.insertJob(job("pyannote:later", "2026-01-01T00:00:01.000Z", { nextPollAt: 5_000 }));
      await store.insertJob(job("pyannote:due", "2026-01-01T00:00:00.000Z", { nextPollAt: 1_000 }));
      await store.insertJob(job("pyannote:done", "2026-01-01T00:00:02.000Z", { status: "succeeded", resultState: "stored" }));
      await store.insertJob(job("pyannote:failed", "2026-01-01T00:00:02.500Z", { status: "failed", nextPollAt: 1_000 }));
      await store.insertJob(job("pyannote:fetch", "2026-01-01T00:00:03.000Z", { status: "succeeded", resultState: "none", nextPollAt: 2_000 }));
      await store.insertJob(job("pyannote:unscheduled", "2026-01-01T00:00:04.000Z"));
      expect(ids(await store.listJobsDue(2_000))).toEqual(["pyannote:unscheduled", "pyannote:due", "pyannote:fetch"]);
      const later = (await store.getJob("pyannote:later"))!;
      await store.saveJob({ ...later, nextPollAt: 1_500 });
      expect(ids(await store.listJobsDue(2_000))).toEqual(["pyannote:unscheduled", "pyannote:due", "pyannote:later", "pyannote:fetch"]);
      // Settled with results stored: off the due list for good.
      await store.saveJob({ ...(await store.getJob("pyannote:fetch"))!, resultState: "stored", nextPollAt: undefined });
      expect(ids(await store.listJobsDue(Number.MAX_SAFE_INTEGER))).toEqual(["pyannote:unscheduled", "pyannote:due", "pyannote:later"]);
    });

    it("makes a job due at once on request, never later than it was, and never a settled one", async () => {
      const store = await fresh();
      await store.insertJob(job("pyannote:far", "2026-01-01T00:00:00.000Z", { nextPollAt: 50_000 }));
      await store.insertJob(job("pyannote:soon", "2026-01-01T00:00:01.000Z", { nextPollAt: 1_000 }));
      await store.insertJob(job("pyannote:ended", "2026-01-01T00:00:02.000Z", { status: "canceled", resultState: "stored" }));
      await store.requestPoll("pyannote:far", 2_000);
      await store.requestPoll("pyannote:soon", 2_000);
      await store.requestPoll("pyannote:ended", 2_000);
      expect(ids(await store.listJobsDue(2_000))).toEqual(["pyannote:soon", "pyannote:far"]);
      expect(ids(await store.listJobsDue(1_000))).toEqual(["pyannote:soon"]);
    });

    it("gives a job to one holder (two handles on one store) until it lets go or its lease runs out", async () => {
      const place = await harness.place();
      let now = 1_000_000;
      const processA = await open(place, { now: () => now });
      const processB = await open(place, { now: () => now });
      await processA.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z", { nextPollAt: now }));
      await processA.insertJob(job("pyannote:b", "2026-01-01T00:00:01.000Z", { nextPollAt: now }));
      await processA.insertJob(job("pyannote:done", "2026-01-01T00:00:02.000Z", { status: "succeeded", resultState: "stored" }));

      expect(await processA.claimJob("pyannote:a", "A", 10_000)).toBe(true);
      expect(await processB.claimJob("pyannote:a", "B", 10_000)).toBe(false);
      expect(await processA.claimJob("pyannote:a", "A", 10_000)).toBe(true);
      // B sees only the unleased job as due; A sees both; without a holder, both are due.
      expect(ids(await processB.listJobsDue(now, "B"))).toEqual(["pyannote:b"]);
      expect(ids(await processA.listJobsDue(now, "A")).sort()).toEqual(["pyannote:a", "pyannote:b"]);
      expect(ids(await processB.listJobsDue(now)).sort()).toEqual(["pyannote:a", "pyannote:b"]);

      // Leases on settled jobs are not renewed: they count for nothing.
      expect(await processA.claimJob("pyannote:done", "A", 10_000)).toBe(true);
      now += 8_000;
      expect(await processA.renewLeases("A", 10_000)).toBe(1);
      now += 8_000;
      expect(await processB.claimJob("pyannote:a", "B", 10_000)).toBe(false);
      // A stops renewing (killed): B takes over once the lease has run out, and A has lost it.
      now += 2_001;
      expect(ids(await processB.listJobsDue(now, "B"))).toContain("pyannote:a");
      expect(await processB.claimJob("pyannote:a", "B", 10_000)).toBe(true);
      expect(await processA.claimJob("pyannote:a", "A", 10_000)).toBe(false);
      expect(await processA.renewLeases("A", 10_000)).toBe(0);
      expect(ids(await processA.listJobsDue(now, "A"))).toEqual(["pyannote:b"]);

      // A clean shutdown hands everything back at once.
      await processB.releaseLeases("B");
      expect(await processA.claimJob("pyannote:a", "A", 10_000)).toBe(true);
      expect(await processA.claimJob("pyannote:nope", "A", 10_000)).toBe(false);
    });

    it("lets exactly one of two handles take a free job when both claim it at once", async () => {
      const place = await harness.place();
      const processA = await open(place);
      const processB = await open(place);
      for (let index = 0; index < 10; index++) await processA.insertJob(job(`pyannote:r${index}`, `2026-01-01T00:00:0${index}.000Z`));
      for (let index = 0; index < 10; index++) {
        const [a, b] = await Promise.all([processA.claimJob(`pyannote:r${index}`, "A", 60_000), processB.claimJob(`pyannote:r${index}`, "B", 60_000)]);
        expect([a, b].filter(Boolean), `job r${index}`).toHaveLength(1);
      }
    });
  });

  describe(`${name}: idempotency keys and submissions`, () => {
    it("reserves a key once per owner, reports the first reservation to later callers, binds and releases it", async () => {
      const store = await fresh();
      expect(await store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f1" })).toBeUndefined();
      expect(await store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f2" })).toEqual({ key: "k", owner: "", fingerprint: "f1", jobId: undefined });
      expect(await store.findIdempotencyKey("k", "")).toEqual({ key: "k", owner: "", fingerprint: "f1", jobId: undefined });
      await store.completeIdempotencyKey("k", "", "pyannote:x");
      expect(await store.findIdempotencyKey("k", "")).toEqual({ key: "k", owner: "", fingerprint: "f1", jobId: "pyannote:x" });
      expect(await store.findIdempotencyKey("k", "other")).toBeUndefined();
      expect(await store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f1" })).toMatchObject({ jobId: "pyannote:x" });
      // A bound key is never released; an unbound one is.
      await store.releaseIdempotencyKey("k", "");
      expect(await store.reserveIdempotencyKey({ key: "k", owner: "", fingerprint: "f1" })).toMatchObject({ jobId: "pyannote:x" });
      expect(await store.reserveIdempotencyKey({ key: "k", owner: "other", fingerprint: "f3" })).toBeUndefined();
      await store.releaseIdempotencyKey("k", "other");
      expect(await store.reserveIdempotencyKey({ key: "k", owner: "other", fingerprint: "f4" })).toBeUndefined();
    });

    it("gives a key raced for by two handles to exactly one of them; the other gets the winner's record", async () => {
      const place = await harness.place();
      const processA = await open(place);
      const processB = await open(place);
      for (let round = 0; round < 10; round++) {
        const key = `race-${round}`;
        const [a, b] = await Promise.all([
          processA.reserveIdempotencyKey({ key, owner: "user:x", fingerprint: "from-A" }),
          processB.reserveIdempotencyKey({ key, owner: "user:x", fingerprint: "from-B" }),
        ]);
        const winners = [a, b].filter((answer) => answer === undefined);
        expect(winners, key).toHaveLength(1);
        const loser = a ?? b!;
        expect(loser.fingerprint).toBe(a === undefined ? "from-A" : "from-B");
      }
      // The same through beginSubmission: one submission recorded, the other handle told of the key.
      const [a, b] = await Promise.all([
        processA.beginSubmission(submission("sub-A", { idempotencyKey: "begin-race", fingerprint: "from-A" })),
        processB.beginSubmission(submission("sub-B", { idempotencyKey: "begin-race", fingerprint: "from-B", holder: "B" })),
      ]);
      expect([a, b].filter((answer) => answer === undefined)).toHaveLength(1);
      expect((await processA.listSubmissions()).map((record) => record.id)).toEqual([a === undefined ? "sub-A" : "sub-B"]);
    });

    it("records a submission with its key in one step, finds, renews, lists and hands it over only when allowed", async () => {
      const store = await fresh();
      const record = submission("sub-1", { idempotencyKey: "key-1", owner: "user:a", createdAt: 2_000 });
      expect(await store.beginSubmission(record)).toBeUndefined();
      expect(await store.beginSubmission(submission("sub-0", { createdAt: 1_000 }))).toBeUndefined();
      // The key is taken: a second submission with it is answered with the key's record and not recorded.
      expect(await store.beginSubmission(submission("sub-2", { idempotencyKey: "key-1", owner: "user:a", fingerprint: "fp-2" }))).toMatchObject({
        key: "key-1",
        fingerprint: "fp-1",
        jobId: undefined,
      });
      expect(await store.findSubmission("key-1", "user:a")).toEqual(record);
      expect(await store.findSubmission("key-1", "user:b")).toBeUndefined();
      expect((await store.listSubmissions()).map((entry) => entry.id)).toEqual(["sub-0", "sub-1"]);

      expect(await store.renewSubmission("sub-1", "A", 9_000, 8_000)).toBe(true);
      expect(await store.renewSubmission("sub-1", "A", 9_500)).toBe(true);
      expect(await store.renewSubmission("sub-1", "B", 99_000)).toBe(false);
      expect(await store.renewSubmission("sub-gone", "A", 99_000)).toBe(false);
      expect(await store.findSubmission("key-1", "user:a")).toMatchObject({ holder: "A", heldUntil: 9_500, aliveAt: 8_000 });

      const seenByCheck: SubmissionRecord[] = [];
      expect(
        await store.claimSubmission("sub-1", "B", 20_000, (current) => {
          seenByCheck.push(current);
          return false;
        }),
      ).toBeUndefined();
      expect(seenByCheck).toEqual([{ ...record, heldUntil: 9_500, aliveAt: 8_000 }]);
      expect(await store.claimSubmission("sub-1", "B", 20_000, () => true)).toEqual({ ...record, holder: "B", heldUntil: 20_000, aliveAt: 8_000 });
      expect(await store.renewSubmission("sub-1", "A", 30_000)).toBe(false);
      expect(await store.claimSubmission("sub-gone", "B", 20_000, () => true)).toBeUndefined();
    });

    it("hands a submission to one of two handles that claim it at once", async () => {
      const place = await harness.place();
      const processA = await open(place);
      const processB = await open(place);
      await processA.beginSubmission(submission("sub-1", { holder: "dead", heldUntil: 1_000 }));
      // Each takes it only while the claim it sees has run out: the first claim must be seen by the second.
      const canTake = (current: SubmissionRecord) => current.heldUntil < 10_000;
      const [a, b] = await Promise.all([processA.claimSubmission("sub-1", "A", 50_000, canTake), processB.claimSubmission("sub-1", "B", 50_000, canTake)]);
      const taken = [a, b].filter((answer) => answer !== undefined);
      expect(taken).toHaveLength(1);
      expect((await processA.listSubmissions())[0]?.holder).toBe(taken[0]!.holder);
    });

    it("finishes a submission with its job (kept if one is there already) and binds its key, or drops it and frees the key", async () => {
      const store = await fresh();
      await store.beginSubmission(submission("sub-1", { idempotencyKey: "key-1" }));
      const created = job("pyannote:new", "2026-01-01T00:00:00.000Z", { label: "from the vendor" });
      await store.finishSubmission("sub-1", { job: created });
      expect(await store.getJob("pyannote:new")).toEqual(created);
      expect(await store.listSubmissions()).toEqual([]);
      expect(await store.reserveIdempotencyKey({ key: "key-1", owner: "", fingerprint: "fp-1" })).toMatchObject({ jobId: "pyannote:new" });

      // The job was already stored (another process found it first): the stored one stays.
      await store.beginSubmission(submission("sub-2", { idempotencyKey: "key-2" }));
      await store.finishSubmission("sub-2", { job: { ...created, label: "a second copy" } });
      expect((await store.getJob("pyannote:new"))?.label).toBe("from the vendor");
      expect(await store.reserveIdempotencyKey({ key: "key-2", owner: "", fingerprint: "fp-1" })).toMatchObject({ jobId: "pyannote:new" });

      await store.beginSubmission(submission("sub-3", { idempotencyKey: "key-3" }));
      await store.finishSubmission("sub-3", { released: true });
      expect(await store.listSubmissions()).toEqual([]);
      expect(await store.reserveIdempotencyKey({ key: "key-3", owner: "", fingerprint: "other" })).toBeUndefined();
      // Finishing one that is gone changes nothing.
      await store.finishSubmission("sub-gone", { released: true });
    });

    it("stores a finished submission's job already leased to its holder when asked: another handle cannot take it", async () => {
      const place = await harness.place();
      const processA = await open(place);
      const processB = await open(place);
      await processA.beginSubmission(submission("sub-l", { idempotencyKey: "key-l" }));
      await processA.finishSubmission("sub-l", { job: job("local:leased", "2026-01-01T00:00:00.000Z"), lease: { holder: "A", durationMs: 60_000 } });
      expect(ids(await processB.listJobsDue(Date.now() + 3_600_000, "B"))).not.toContain("local:leased");
      expect(await processB.claimJob("local:leased", "B", 60_000)).toBe(false);
      expect(await processA.claimJob("local:leased", "A", 60_000)).toBe(true);
      // A job that was there already keeps its lease as it was: the finisher gets none of it.
      await processB.beginSubmission(submission("sub-m", { idempotencyKey: "key-m" }));
      await processB.finishSubmission("sub-m", { job: job("local:leased", "2026-01-01T00:00:00.000Z"), lease: { holder: "B", durationMs: 60_000 } });
      expect(await processB.claimJob("local:leased", "B", 60_000)).toBe(false);
    });
  });

  describe(`${name}: results`, () => {
    it("stores parts whole or chunk by chunk (binary intact), replaces them, and lists them with their sizes", async () => {
      const store = await fresh();
      await store.insertJob(job("humanstandard:j", "2026-01-01T00:00:00.000Z"));
      await store.appendResultPart("humanstandard:j", "results.ndjson", Buffer.from('{"a":1}\n{"b"'), "application/x-ndjson");
      await store.appendResultPart("humanstandard:j", "results.ndjson", Buffer.from(':2}\n'), "application/x-ndjson");
      expect((await store.getResultPart("humanstandard:j", "results.ndjson"))?.data.toString()).toBe('{"a":1}\n{"b":2}\n');
      const binary = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7) % 256));
      await store.putResultPart("humanstandard:j", "audio.bin", new Uint8Array(binary), "application/octet-stream");
      expect(await store.getResultPart("humanstandard:j", "audio.bin")).toEqual({ name: "audio.bin", contentType: "application/octet-stream", bytes: 4096, data: binary });
      expect(await store.listResultParts("humanstandard:j")).toEqual([
        { name: "audio.bin", contentType: "application/octet-stream", bytes: 4096 },
        { name: "results.ndjson", contentType: "application/x-ndjson", bytes: 16 },
      ]);
      // put replaces every chunk appended before.
      await store.putResultPart("humanstandard:j", "results.ndjson", Buffer.from("{}\n"), "application/x-ndjson");
      expect((await store.getResultPart("humanstandard:j", "results.ndjson"))?.data.toString()).toBe("{}\n");
      expect(await store.getResultPart("humanstandard:j", "missing")).toBeUndefined();
      expect(await store.listResultParts("humanstandard:none")).toEqual([]);
    });

    it("keeps the appended chunks of two handles writing one part at once, none lost", async () => {
      const place = await harness.place();
      const processA = await open(place);
      const processB = await open(place);
      await Promise.all(
        Array.from({ length: 10 }, (_, index) => (index % 2 ? processA : processB).appendResultPart("pyannote:j", "log.txt", Buffer.from(`${index};`), "text/plain")),
      );
      const text = (await processA.getResultPart("pyannote:j", "log.txt"))!.data.toString();
      expect(text.split(";").filter(Boolean).map(Number).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it("keeps one result index per job, replaced by the next", async () => {
      const store = await fresh();
      expect(await store.getResultIndex("pyannote:a")).toBeUndefined();
      await store.putResultIndex("pyannote:a", { speakers: ["A", "B"], seconds: 12.5 }, "2 speakers");
      await store.putResultIndex("pyannote:a", { speakers: ["A"] });
      expect(await store.getResultIndex("pyannote:a")).toEqual({ index: { speakers: ["A"] }, description: undefined });
    });
  });

  describe(`${name}: voiceprints and webhook replays`, () => {
    it("keeps voiceprints per owner; unscoped callers see all, the unowned one first", async () => {
      let now = Date.parse("2026-01-01T00:00:00.000Z");
      const store = await fresh({ now: () => now });
      await store.voiceprints.put("alice", "VP-ALICE", { provider: "pyannote", sourceJobId: "pyannote:a", owner: "user:a" });
      now += 1_000;
      await store.voiceprints.put("bob", "VP-BOB", { provider: "pyannote", sourceJobId: "pyannote:b" });
      await store.voiceprints.put("carol", "VP-1", { provider: "pyannote", sourceJobId: "pyannote:c1", owner: "user:a" });
      now += 1_000;
      await store.voiceprints.put("carol", "VP-2", { provider: "pyannote", sourceJobId: "pyannote:c2", owner: "user:b" });
      expect(await store.voiceprints.get("carol", "user:a")).toBe("VP-1");
      expect(await store.voiceprints.get("carol", "user:b")).toBe("VP-2");
      expect(await store.voiceprints.get("alice", "user:b")).toBeUndefined();
      expect(await store.voiceprints.get("bob")).toBe("VP-BOB");
      // Unscoped: the newest of the owned ones when none is unowned.
      expect(await store.voiceprints.get("carol")).toBe("VP-2");
      await store.voiceprints.put("carol", "VP-0", { provider: "pyannote", sourceJobId: "pyannote:c0" });
      expect(await store.voiceprints.get("carol")).toBe("VP-0");

      expect(await store.voiceprints.list("user:a")).toEqual([
        { label: "alice", provider: "pyannote", sourceJobId: "pyannote:a", createdAt: "2026-01-01T00:00:00.000Z" },
        { label: "carol", provider: "pyannote", sourceJobId: "pyannote:c1", createdAt: "2026-01-01T00:00:01.000Z" },
      ]);
      expect((await store.voiceprints.list("")).map((entry) => entry.label)).toEqual(["bob", "carol"]);
      expect((await store.voiceprints.list()).map((entry) => entry.label)).toEqual(["alice", "bob", "carol", "carol", "carol"]);

      // Replacing keeps one per owner and label.
      await store.voiceprints.put("alice", "VP-ALICE-2", { provider: "pyannote", sourceJobId: "pyannote:a2", owner: "user:a" });
      expect(await store.voiceprints.get("alice", "user:a")).toBe("VP-ALICE-2");
      expect(await store.voiceprints.delete("alice", "user:b")).toBe(false);
      expect(await store.voiceprints.delete("alice", "user:a")).toBe(true);
      expect(await store.voiceprints.get("alice")).toBeUndefined();
      expect(await store.voiceprints.delete("carol")).toBe(true);
      expect(await store.voiceprints.list("user:b")).toEqual([]);
    });

    it("rejects a replayed webhook delivery until its window has passed", async () => {
      let now = 1_000_000;
      const store = await fresh({ now: () => now });
      expect(await store.replayGuard.firstSeen("sig-1", 60_000)).toBe(true);
      expect(await store.replayGuard.firstSeen("sig-1", 60_000)).toBe(false);
      expect(await store.replayGuard.firstSeen("sig-2", 60_000)).toBe(true);
      now += 60_000;
      expect(await store.replayGuard.firstSeen("sig-1", 60_000)).toBe(false);
      now += 1;
      expect(await store.replayGuard.firstSeen("sig-1", 60_000)).toBe(true);
      expect(await store.replayGuard.firstSeen("sig-1", 60_000)).toBe(false);
    });

    it("rejects a delivery replayed to another handle, and lets exactly one of two simultaneous deliveries through", async () => {
      const place = await harness.place();
      const processA = await open(place);
      const processB = await open(place);
      expect(await processA.replayGuard.firstSeen("sig-1", 60_000)).toBe(true);
      expect(await processB.replayGuard.firstSeen("sig-1", 60_000)).toBe(false);
      for (let round = 0; round < 10; round++) {
        const answers = await Promise.all([processA.replayGuard.firstSeen(`sig-race-${round}`, 60_000), processB.replayGuard.firstSeen(`sig-race-${round}`, 60_000)]);
        expect(answers.filter(Boolean), `round ${round}`).toHaveLength(1);
      }
    });
  });

  describe(`${name}: damaged rows`, () => {
    it("stands in for a damaged job, reports it once, sets it aside from polling, and serves every other job", async () => {
      const place = await harness.place();
      const damaged: string[] = [];
      const store = await open(place, { onDamagedJob: (id) => damaged.push(id) });
      await store.insertJob(job("pyannote:bad", "2026-01-01T00:00:00.000Z", { nextPollAt: 1_000, owner: "user:a" }));
      await store.insertJob(job("pyannote:good", "2026-01-01T00:00:01.000Z", { nextPollAt: 1_000 }));
      await harness.damageJob(place, "pyannote:bad");

      expect(ids(await store.listJobsDue(2_000))).toEqual(["pyannote:good"]);
      expect(damaged).toEqual(["pyannote:bad"]);
      // Set aside: not offered to the poller again, and not reported again.
      expect(ids(await store.listJobsDue(2_000))).toEqual(["pyannote:good"]);
      const standIn = await store.getJob("pyannote:bad");
      expect(standIn).toMatchObject({ id: "pyannote:bad", provider: "pyannote", owner: "user:a", error: { code: "damaged_record" } });
      expect(standIn?.damaged).toMatch(/not a job|not valid JSON/);
      expect(ids((await store.listJobs({ limit: 10 })).jobs)).toEqual(["pyannote:good", "pyannote:bad"]);
      expect(damaged).toEqual(["pyannote:bad"]);
      expect((await store.getJob("pyannote:good"))?.status).toBe("running");
    });
  });

  describe(`${name}: watching job changes`, () => {
    it("tells listeners of every committed job change (not leases, poll times or refused writes) until they unsubscribe", async () => {
      const store = await fresh();
      const heard: string[] = [];
      const unsubscribe = store.watchJobs((id) => heard.push(id));
      const running = job("pyannote:w", "2026-01-01T00:00:00.000Z");
      const ended = job("pyannote:ended", "2026-01-01T00:00:00.000Z", { status: "canceled", resultState: "stored" });
      await store.insertJob(job("pyannote:leased", "2026-01-01T00:00:00.000Z"));
      await store.insertJob(ended);
      await store.insertJob(running);
      await eventually(() => ["pyannote:leased", "pyannote:ended", "pyannote:w"].every((id) => heard.includes(id)), "the inserts");
      // Changes arrive in commit order: whatever the writes below announced would come before the last one.
      const mark = heard.length;
      await store.claimJob("pyannote:leased", "A", 10_000);
      await store.renewLeases("A", 10_000);
      await store.requestPoll("pyannote:leased", 1);
      await store.releaseLeases("A");
      await expect(store.saveJob({ ...ended, status: "running" })).rejects.toThrow(/terminal/);
      await store.saveJob({ ...running, status: "succeeded", resultState: "stored" });
      await eventually(() => heard.slice(mark).includes("pyannote:w"), "the save");
      await store.beginSubmission(submission("sub-1"));
      await store.finishSubmission("sub-1", { job: job("pyannote:from-submission", "2026-01-01T00:00:01.000Z") });
      await store.beginSubmission(submission("sub-2"));
      await store.finishSubmission("sub-2", { released: true });
      await store.insertJob(job("pyannote:last", "2026-01-01T00:00:02.000Z"));
      await eventually(() => heard.includes("pyannote:last"), "the last insert");
      expect(heard.slice(mark)).not.toContain("pyannote:leased");
      expect(heard.slice(mark)).not.toContain("pyannote:ended");
      expect(heard.slice(mark)).toContain("pyannote:from-submission");

      unsubscribe();
      const other: string[] = [];
      store.watchJobs((id) => other.push(id));
      await store.insertJob(job("pyannote:after", "2026-01-01T00:00:02.000Z"));
      await eventually(() => other.includes("pyannote:after"), "the insert after unsubscribing");
      expect(heard).not.toContain("pyannote:after");
    });

    it.runIf(harness.hearsOtherHandles)("tells listeners of changes committed through another handle (another replica)", async () => {
      const place = await harness.place();
      const processA = await open(place);
      const processB = await open(place);
      const heardByA: string[] = [];
      processA.watchJobs((id) => heardByA.push(id));
      const created = job("pyannote:x", "2026-01-01T00:00:00.000Z");
      await processB.insertJob(created);
      await eventually(() => heardByA.includes("pyannote:x"), "B's insert, heard by A");
      await processB.saveJob({ ...created, status: "failed" });
      await eventually(() => heardByA.length >= 2, "B's save, heard by A");
      expect((await processA.getJob("pyannote:x"))?.status).toBe("failed");
    });
  });

  describe(`${name}: opening`, () => {
    it("opens two handles on one new place at once: the schema is created once and both work", async () => {
      const place = await harness.place();
      const [processA, processB] = await Promise.all([open(place), open(place)]);
      await processA.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z"));
      expect((await processB.getJob("pyannote:a"))?.id).toBe("pyannote:a");
      await processA.close();
      const again = await open(place);
      expect(ids((await again.listJobs({ limit: 10 })).jobs)).toEqual(["pyannote:a"]);
    });
  });
}

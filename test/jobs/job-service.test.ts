import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ProviderError } from "../../src/errors.js";
import { applySnapshot, type Job } from "../../src/jobs/job.js";
import { JobService } from "../../src/jobs/job-service.js";
import { createLogger } from "../../src/logger.js";
import { ProviderRegistry } from "../../src/providers/registry.js";
import { openSqliteJobStore } from "../../src/store/sqlite-store.js";
import type { JobStore } from "../../src/store/store.js";
import { ScriptedAdapter } from "../support/scripted-adapter.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function setup(adapter: ScriptedAdapter, dataDir?: string, now?: () => number, lease?: { holder: string; durationMs: number }, multiUser?: boolean) {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "mjm-svc-"));
  const store: JobStore = openSqliteJobStore(dir);
  const logs: string[] = [];
  const service = new JobService({
    store,
    registry: new ProviderRegistry([adapter]),
    logger: createLogger({ level: "debug", secrets: [], write: (line) => logs.push(line) }),
    poll: { initialDelayMs: 1_000, maxDelayMs: 60_000 },
    now,
    lease,
    multiUser,
  });
  cleanups.push(() => store.close());
  if (!dataDir) cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, store, service, logs };
}

describe("job model", () => {
  it("never moves a terminal job, whatever a later snapshot says", () => {
    const job = { id: "pyannote:a", provider: "pyannote", nativeId: "a", task: "diarize", status: "succeeded", inputs: [], options: {}, createdAt: "t", updatedAt: "t", resultState: "stored", pollCount: 1 } as Job;
    expect(applySnapshot(job, { nativeId: "a", status: "running" }, new Date()).status).toBe("succeeded");
  });
});

describe("JobService", () => {
  it("fetches results exactly once, even when refreshed concurrently", async () => {
    const adapter = new ScriptedAdapter({ refreshesUntilDone: 1 });
    const { service } = setup(adapter);
    const { job } = await service.start({ provider: "pyannote", media: [{ kind: "url", url: "https://x.test/a.wav" }], options: {} });
    const [first, second] = await Promise.all([service.refresh(job.id), service.refresh(job.id)]);
    expect(first.resultState).toBe("stored");
    expect(second.resultState).toBe("stored");
    await service.refresh(job.id);
    expect(adapter.fetches).toEqual(["job-1"]);
    expect(adapter.gets).toHaveLength(1);
  });

  it("resumes a running job from the store after a restart", async () => {
    const adapter = new ScriptedAdapter({ refreshesUntilDone: 2 });
    let now = 1_000_000;
    const first = setup(adapter, undefined, () => now);
    const { job } = await first.service.start({ provider: "pyannote", media: [{ kind: "url", url: "https://x.test/a.wav" }], options: {} });
    // A clean shutdown (App.close) gives up the process's job leases.
    await first.service.releaseLeases();
    await first.store.close();
    cleanups.shift();

    // A new process on the same data dir: the job waits for its next poll time, then is picked up.
    const second = setup(adapter, first.dir, () => now);
    expect((await second.service.dueJobs()).map((entry) => entry.id)).toEqual([]);
    now += 1_000;
    expect((await second.service.dueJobs()).map((entry) => entry.id)).toEqual([job.id]);
    const done = await second.service.refresh(job.id).then(() => second.service.refresh(job.id));
    expect(done.status).toBe("succeeded");
    expect(done.resultState).toBe("stored");
  });

  it("leaves a job another live server holds to that server, and takes it over when the lease runs out", async () => {
    const adapter = new ScriptedAdapter({ refreshesUntilDone: 5 });
    // Due times on a clock that stands still (the scripted vendor's next poll is 20 ms away, which
    // a loaded machine passes before the next line); leases run on the store's own clock.
    const now = () => 1_000_000;
    const first = setup(adapter, undefined, now, { holder: "server-a", durationMs: 300 });
    const second = setup(adapter, first.dir, now, { holder: "server-b", durationMs: 300 });
    const { job } = await first.service.start({ provider: "pyannote", media: [{ kind: "url", url: "https://x.test/a.wav" }], options: {} });
    await first.service.refresh(job.id);
    expect(adapter.gets).toHaveLength(1);
    // The other server answers from the store and never asks the vendor itself; it asks the
    // holder for a look instead (the job is due for the first server at once).
    expect(await first.service.dueJobs()).toEqual([]);
    const seen = await second.service.refresh(job.id);
    expect(seen.status).toBe("running");
    expect(adapter.gets).toHaveLength(1);
    expect((await first.service.dueJobs()).map((entry) => entry.id)).toEqual([job.id]);
    expect(await second.service.dueJobs()).toEqual([]);
    // The first server stops renewing (as if killed): the lease runs out and the second polls.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect((await second.service.dueJobs()).map((entry) => entry.id)).toEqual([job.id]);
    await second.service.refresh(job.id);
    expect(adapter.gets).toHaveLength(2);
    // And the first, back, no longer polls what is now the second's.
    await first.service.refresh(job.id);
    expect(adapter.gets).toHaveLength(2);
  });

  it("backs off at least as long as the vendor's Retry-After when a poll is rate-limited", async () => {
    const adapter = new ScriptedAdapter({ refreshesUntilDone: 5 });
    let now = 1_000_000;
    const { service, store } = setup(adapter, undefined, () => now);
    const { job } = await service.start({ provider: "pyannote", media: [{ kind: "url", url: "https://x.test/a.wav" }], options: {} });
    adapter.failNextGet = new ProviderError("pyannote answered 429", { provider: "pyannote", status: 429, retryable: true, retryAfterSeconds: 30 });
    await expect(service.refresh(job.id)).rejects.toThrow(/429/);
    expect((await store.getJob(job.id))!.nextPollAt).toBeGreaterThanOrEqual(now + 30_000);
    expect((await store.getJob(job.id))!.status).toBe("queued");
    now += 31_000;
    expect((await service.dueJobs()).map((entry) => entry.id)).toEqual([job.id]);
  });

  it("ends a job the vendor keeps answering 404 for, instead of polling it forever", async () => {
    const adapter = new ScriptedAdapter({ refreshesUntilDone: 100 });
    const { service, store } = setup(adapter);
    const { job } = await service.start({ provider: "pyannote", media: [{ kind: "url", url: "https://x.test/a.wav" }], options: {} });
    const notFound = () => new ProviderError("pyannote answered 404: Job not found", { provider: "pyannote", status: 404, retryable: false });
    for (let attempt = 1; attempt <= 4; attempt++) {
      adapter.failNextGet = notFound();
      await expect(service.refresh(job.id)).rejects.toThrow(/404/);
      expect((await store.getJob(job.id))!.status).toBe("queued");
    }
    // A good poll in between resets the count.
    await service.refresh(job.id);
    for (let attempt = 1; attempt <= 5; attempt++) {
      adapter.failNextGet = notFound();
      await service.refresh(job.id).catch(() => undefined);
    }
    const ended = (await store.getJob(job.id))!;
    expect(ended.status).toBe("failed");
    expect(ended.error?.message).toMatch(/no longer knows this job/);
    expect(await service.dueJobs()).toEqual([]);
  });

  it("answers a direct question with a fresh look when the stored status is old", async () => {
    const adapter = new ScriptedAdapter({ refreshesUntilDone: 100 });
    let now = 1_000_000;
    const { service } = setup(adapter, undefined, () => now);
    const { job } = await service.start({ provider: "pyannote", media: [{ kind: "url", url: "https://x.test/a.wav" }], options: {} });
    await service.getFresh(job.id, undefined, 5_000);
    expect(adapter.gets).toHaveLength(0);
    now += 6_000;
    const fresh = await service.getFresh(job.id, undefined, 5_000);
    expect(adapter.gets).toHaveLength(1);
    expect(fresh.status).toBe("running");
  });

  it("backs off polling of a long job up to the maximum delay", () => {
    const adapter = new ScriptedAdapter();
    Object.defineProperty(adapter, "pollPolicy", { value: undefined });
    const { service } = setup(adapter);
    const delays = [1, 2, 5, 10, 20, 40].map((count) => service.pollDelay(adapter, count));
    expect(delays[0]).toBe(1_000);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(delays.at(-1)).toBe(60_000);
  });
});

describe("logger", () => {
  it("redacts configured secrets from lines and structured data", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", secrets: ["sk-canary-123456"], write: (line) => lines.push(line) });
    logger.error("request failed with key sk-canary-123456", { header: "Bearer sk-canary-123456" });
    expect(lines.join("\n")).not.toContain("sk-canary-123456");
    expect(lines.join("\n")).toContain("[redacted]");
  });
});

describe("interrupted submissions", () => {
  const media = [{ kind: "url" as const, url: "https://x.test/a.wav" }];

  it("does not let a process that stopped renewing its submission hold the key: past its claim, a retry adopts the vendor's job", async () => {
    // The first process is alive but its create call hangs (and its event loop renews nothing).
    let answer!: (snapshot: { nativeId: string; status: "queued" }) => void;
    const hung = new ScriptedAdapter();
    hung.start = (request) => {
      hung.starts.push(request);
      return new Promise((resolve) => (answer = resolve));
    };
    let now = 1_000_000;
    const first = setup(hung, undefined, () => now);
    const pending = first.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "k" });

    const other = new ScriptedAdapter();
    other.findSubmission = async (submission) => {
      expect(submission.id).toBe(hung.starts[0]!.idempotencyKey);
      return { kind: "found", snapshot: { nativeId: "vendor-7", status: "running" } };
    };
    const second = setup(other, first.dir, () => now);
    await expect(second.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "k" })).rejects.toThrow(/being submitted right now/);
    now += 31_000;
    const retried = await second.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "k" });
    expect(retried).toMatchObject({ deduplicated: true, job: { id: "pyannote:vendor-7", status: "running" } });
    expect(other.starts).toHaveLength(0);

    // The hung call answers at last: the same vendor job, stored once, under the same key.
    answer({ nativeId: "vendor-7", status: "queued" });
    expect((await pending).job.id).toBe("pyannote:vendor-7");
    expect((await first.store.listJobs({ limit: 10 })).jobs.map((job) => job.id)).toEqual(["pyannote:vendor-7"]);
    expect(await first.store.listSubmissions()).toEqual([]);
  });

  it("never hands a user another user's job through a key whose recovery found that job", async () => {
    // Alice's create call hangs; while her retry looks it up at the vendor, bob's job (the one
    // the lookup matches) is stored under bob.
    const hung = new ScriptedAdapter();
    hung.start = (request) => {
      hung.starts.push(request);
      return new Promise(() => undefined);
    };
    let now = 1_000_000;
    const first = setup(hung, undefined, () => now);
    void first.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "k", owner: "alice" });
    const bobsJob: Job = {
      id: "pyannote:vendor-7",
      provider: "pyannote",
      nativeId: "vendor-7",
      task: "diarize",
      status: "queued",
      inputs: [],
      options: {},
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      owner: "bob",
      resultState: "none",
      pollCount: 0,
    };
    const other = new ScriptedAdapter();
    const second = setup(other, first.dir, () => now);
    other.findSubmission = async () => {
      await second.store.insertJob(bobsJob);
      return { kind: "found", snapshot: { nativeId: "vendor-7", status: "running" } };
    };
    now += 31_000;
    for (let attempt = 0; attempt < 2; attempt++) {
      const retry = second.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "k", owner: "alice" });
      await expect(retry).rejects.toThrow(/cannot be told apart from another at Scripted/);
      await expect(retry).rejects.not.toThrow(/vendor-7/);
    }
    expect((await second.store.getJob("pyannote:vendor-7"))?.owner).toBe("bob");
  });

  it("looks an ambiguous interrupted submission up again while another start to the vendor is still being sent, and gives it up as unconfirmed only after the settle minute", async () => {
    // Replica A's create call for key "a" failed in transit; replica B is still sending "b".
    const adapter = new ScriptedAdapter();
    adapter.start = (request) => {
      adapter.starts.push(request);
      return Promise.reject(new ProviderError("pyannote: connection reset", { provider: "pyannote", retryable: false, mayHaveReachedVendor: true }));
    };
    let now = 1_000_000;
    const a = setup(adapter, undefined, () => now);
    await expect(a.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "a" })).rejects.toThrow(/connection reset/);
    const sending = new ScriptedAdapter();
    let answer!: (snapshot: { nativeId: string; status: "queued" }) => void;
    sending.start = (request) => {
      sending.starts.push(request);
      return new Promise((resolve) => (answer = resolve));
    };
    const b = setup(sending, a.dir, () => now);
    const inFlight = b.service.start({ provider: "pyannote", media: [{ kind: "url", url: "https://x.test/b.wav" }], options: {}, idempotencyKey: "b" });
    // The vendor lists two jobs either could be: B's is not stored yet.
    let known = false;
    adapter.findSubmission = async () => (known ? { kind: "found", snapshot: { nativeId: "vendor-a", status: "running" } } : { kind: "unknowable", reason: "2 jobs match it" });
    await expect(a.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "a" })).rejects.toThrow(/cannot tell its job apart yet while another start/);
    expect((await a.store.listJobs({ limit: 10 })).jobs).toEqual([]);
    // B's job is stored: the next look finds A's alone.
    answer({ nativeId: "vendor-b", status: "queued" });
    await inFlight;
    known = true;
    expect((await a.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "a" })).job.id).toBe("pyannote:vendor-a");

    // Past the settle minute an ambiguity is given up as unconfirmed, whatever else is in flight.
    known = false;
    await expect(a.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "c" })).rejects.toThrow(/connection reset/);
    void b.service.start({ provider: "pyannote", media: [{ kind: "url", url: "https://x.test/d.wav" }], options: {}, idempotencyKey: "d" });
    now += 61_000;
    const given = await a.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "c" });
    expect(given.job).toMatchObject({ status: "failed", error: { code: "submission_interrupted" } });
  });

  it("names the vendor jobs an unconfirmed submission may be only to the operator on a team server, not in the user's job", async () => {
    const failing = () => {
      const adapter = new ScriptedAdapter();
      adapter.start = (request) => {
        adapter.starts.push(request);
        return Promise.reject(new ProviderError("pyannote: connection reset", { provider: "pyannote", retryable: false, mayHaveReachedVendor: true }));
      };
      adapter.findSubmission = async () => ({ kind: "unknowable", reason: "2 Scripted jobs match it (pyannote:bobs-1, pyannote:alices-2)" });
      return adapter;
    };
    let now = 1_000_000;
    const team = setup(failing(), undefined, () => now, undefined, true);
    const single = setup(failing(), undefined, () => now);
    for (const { service } of [team, single]) {
      await expect(service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "k", owner: "alice" })).rejects.toThrow(/connection reset/);
    }
    now += 61_000;
    const teamJob = (await team.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "k", owner: "alice" })).job;
    expect(teamJob.error?.code).toBe("submission_interrupted");
    expect(teamJob.error?.message).not.toContain("bobs-1");
    expect(teamJob.error?.message).toContain("the server's log names the candidates");
    expect(team.logs.join("\n")).toContain("pyannote:bobs-1");
    // One person's server: the candidates are theirs to check.
    const singleJob = (await single.service.start({ provider: "pyannote", media, options: {}, idempotencyKey: "k", owner: "alice" })).job;
    expect(singleJob.error?.message).toContain("pyannote:bobs-1");
  });

  it("releases the key of a create call that failed in transit once the vendor lists no job from it, and the retry submits", async () => {
    const adapter = new ScriptedAdapter();
    const realStart = adapter.start.bind(adapter);
    let resetOnce = true;
    adapter.start = (request) => {
      if (resetOnce) {
        resetOnce = false;
        adapter.starts.push(request);
        return Promise.reject(new ProviderError("pyannote: connection reset", { provider: "pyannote", retryable: false, mayHaveReachedVendor: true }));
      }
      return realStart(request);
    };
    const lookups: string[] = [];
    adapter.findSubmission = async (submission) => {
      lookups.push(submission.id);
      return { kind: "absent" };
    };
    let now = 1_000_000;
    const { service, store } = setup(adapter, undefined, () => now);
    const args = { provider: "pyannote" as const, media, options: {}, idempotencyKey: "k" };
    await expect(service.start(args)).rejects.toThrow(/connection reset/);
    // Too early to believe an empty listing: the vendor may still be creating it.
    await expect(service.start(args)).rejects.toThrow(/lists no job from it yet.*in 60 s/);
    now += 61_000;
    const retried = await service.start(args);
    expect(retried.deduplicated).toBe(false);
    expect(adapter.starts).toHaveLength(2);
    expect(lookups).toHaveLength(2);
    expect((await service.start(args)).job.id).toBe(retried.job.id);
    expect(await store.listSubmissions()).toEqual([]);
  });

  it("releases at once when the lookup is certain nothing exists (the local analyzer: nothing outlives the process)", async () => {
    const adapter = new ScriptedAdapter();
    const realStart = adapter.start.bind(adapter);
    let failOnce = true;
    adapter.start = (request) => {
      if (!failOnce) return realStart(request);
      failOnce = false;
      return Promise.reject(new ProviderError("worker gone", { provider: "pyannote", retryable: false, mayHaveReachedVendor: true }));
    };
    adapter.findSubmission = async () => ({ kind: "absent", certain: true });
    const { service } = setup(adapter, undefined, () => 1_000_000);
    const args = { provider: "pyannote" as const, media, options: {}, idempotencyKey: "k" };
    await expect(service.start(args)).rejects.toThrow(/worker gone/);
    expect((await service.start(args)).deduplicated).toBe(false);
  });

  it("after a create call that failed in transit without a key, the poller's sweep adopts the vendor's job", async () => {
    const adapter = new ScriptedAdapter();
    adapter.start = (request) => {
      adapter.starts.push(request);
      return Promise.reject(new ProviderError("pyannote: timed out", { provider: "pyannote", retryable: false, mayHaveReachedVendor: true }));
    };
    adapter.findSubmission = async () => ({ kind: "found", snapshot: { nativeId: "late-1", status: "queued" } });
    const { service, store } = setup(adapter);
    await expect(service.start({ provider: "pyannote", media, options: {} })).rejects.toThrow(/timed out/);
    await service.resolveInterruptedSubmissions();
    await vi.waitFor(async () => expect((await store.getJob("pyannote:late-1"))?.warnings?.join(" ")).toMatch(/interrupted/));
    expect(await store.listSubmissions()).toEqual([]);
  });
});

describe("changes made by another replica", () => {
  /** Polls far apart: a wait that ends soon was woken by a change, not by its own next look. */
  class SlowAdapter extends ScriptedAdapter {
    override readonly pollPolicy = { initialDelayMs: 600_000, maxDelayMs: 600_000, factor: 1 };
  }

  /**
   * Two processes on one database, with notifications as PostgreSQL gives them (LISTEN/NOTIFY):
   * what either handle commits is told to the watchers of both. Handle A is this replica's.
   */
  function twoReplicas(options: { hearB?: boolean } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-replicas-"));
    const storeA = openSqliteJobStore(dir);
    const storeB = openSqliteJobStore(dir);
    const gaps: Array<() => void> = [];
    const shared: JobStore = {
      ...storeA,
      watchJobs(listener, onGap) {
        if (onGap) gaps.push(onGap);
        const stopA = storeA.watchJobs(listener);
        // hearB false: B's notifications are lost, as while a LISTEN connection is down.
        const stopB = options.hearB === false ? () => undefined : storeB.watchJobs(listener);
        return () => {
          stopA();
          stopB();
        };
      },
    };
    const service = new JobService({
      store: shared,
      registry: new ProviderRegistry([new SlowAdapter()]),
      logger: createLogger({ level: "error", secrets: [], write: () => undefined }),
      poll: { initialDelayMs: 600_000, maxDelayMs: 600_000 },
      lease: { holder: "replica-a", durationMs: 60_000 },
    });
    cleanups.push(async () => {
      service.close();
      await storeA.close();
      await storeB.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    /** What the store does once it hears again after a gap. */
    const announceGap = () => gaps.forEach((onGap) => onGap());
    return { storeB, service, announceGap };
  }

  function runningJob(nativeId: string): Job {
    const now = new Date().toISOString();
    return {
      id: `pyannote:${nativeId}`,
      provider: "pyannote",
      nativeId,
      task: "diarize",
      status: "running",
      inputs: [],
      options: {},
      createdAt: now,
      updatedAt: now,
      resultState: "none",
      pollCount: 1,
      nextPollAt: Date.now() + 600_000,
    };
  }

  it("looks again at the jobs it waits on when the store says changes went unheard", async () => {
    const { storeB, service, announceGap } = twoReplicas({ hearB: false });
    const running = runningJob("elsewhere-2");
    await storeB.insertJob(running);
    expect(await storeB.claimJob(running.id, "replica-b", 60_000)).toBe(true);

    const waiting = service.wait(running.id, 600);
    await vi.waitFor(() => expect(service.events.listenerCount("updated")).toBe(1));
    // B records the end while this replica cannot hear it.
    await storeB.saveJob({ ...running, status: "succeeded", resultState: "stored", updatedAt: new Date().toISOString(), nextPollAt: undefined });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(service.events.listenerCount("updated")).toBe(1);

    // Hearing again, the store says something may have been missed: the wait ends with the news.
    announceGap();
    const ended = await waiting;
    expect(ended.status).toBe("succeeded");
  });

  it("wakes a get_job wait here when another replica records the job's end", async () => {
    const { storeB, service } = twoReplicas();
    const now = new Date().toISOString();
    const running: Job = {
      id: "pyannote:elsewhere-1",
      provider: "pyannote",
      nativeId: "elsewhere-1",
      task: "diarize",
      status: "running",
      inputs: [],
      options: {},
      createdAt: now,
      updatedAt: now,
      resultState: "none",
      pollCount: 1,
      nextPollAt: Date.now() + 600_000,
    };
    // Replica B started the job and polls it.
    await storeB.insertJob(running);
    expect(await storeB.claimJob(running.id, "replica-b", 60_000)).toBe(true);

    const updates: string[] = [];
    service.events.on("updated", ({ job, previousStatus }) => updates.push(`${job.id} ${previousStatus} -> ${job.status}`));
    const waiting = service.wait(running.id, 600);
    // Let the wait read the job and start listening before B records the end.
    await vi.waitFor(() => expect(service.events.listenerCount("updated")).toBe(2));
    await storeB.saveJob({ ...running, status: "succeeded", resultState: "stored", updatedAt: new Date().toISOString(), nextPollAt: undefined });

    // Without the notification this wait would sleep its 10-minute poll step: the test would time out.
    const ended = await waiting;
    expect(ended.status).toBe("succeeded");
    expect(ended.resultState).toBe("stored");
    expect(updates).toEqual([`${running.id} running -> succeeded`]);
  });

  it("announces its own change once, though the store tells it back", async () => {
    const { service } = twoReplicas();
    const updates: string[] = [];
    service.events.on("updated", ({ job, previousStatus }) => updates.push(`${job.id} ${previousStatus} -> ${job.status}`));
    const { job } = await service.start({ provider: "pyannote", media: [{ kind: "url", url: "https://x.test/a.wav" }], options: {} });
    const done = await service.refresh(job.id);
    // Whatever the store's notifications still have to deliver arrives before this.
    await new Promise((resolve) => setImmediate(resolve));
    expect(updates).toEqual([`${job.id} undefined -> ${job.status}`, `${job.id} ${job.status} -> ${done.status}`]);
  });
});

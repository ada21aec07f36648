// `npm run bench:replicas`: the load-and-fault benchmark of a team server. Three replicas
// (dist/, HTTP mode, OAuth users) on one fresh PostgreSQL database, two users, 60 pyannoteAI
// jobs against the loopback fake (one port per replica, the vendor's 100 requests a minute
// enforced), one replica killed with SIGKILL twice and restarted. It asserts and prints: every
// job ends and none is lost, exactly one vendor POST per job, no job polled by two replicas at
// once, the vendor's rate limit never exceeded, a get_job wait on one replica answering within
// 3 s of another replica recording the completion, idempotent retries on other replicas; then
// p50/p95 latencies of get_job and get_predictions with 1 and 3 replicas. Exits 1 when an
// assertion fails.
//
//   npm run bench:replicas [-- --jobs N] [-- --quick]
// MEDIA_JOBS_BENCH_DATABASE_URL: a PostgreSQL URL whose user may create and drop databases
// (default postgres://postgres@127.0.0.1:5432/postgres); the bench's database is dropped after.

import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { leaseTakeovers, onePostPerJob, peakInWindow, percentile, pollsByOneReplica, type LeaseChange } from "./replicas/checks.js";
import { connectClient, freePort, Replica, startFake, startIdentityProvider, startLoadBalancer, type FakeLog } from "./replicas/cluster.js";

export interface ReplicasBenchOptions {
  jobs: number;
  replicas: number;
  /** SIGKILLs of replica 1 (each followed by a restart). */
  kills: number;
  /**
   * Whether the first kill comes while jobs are being started (a start_job cut off before the
   * vendor answered is then found, or given up after a minute, by the others), or only once all
   * were started and a third have ended.
   */
  killWhileStarting: boolean;
  /** get_job and get_predictions calls per latency phase. */
  reads: number;
  /** How long the fake takes to finish a job. */
  jobMs: number;
  leaseMs: number;
  /** Give up on the jobs ending after this long. */
  deadlineMs: number;
  /** Whether the 3 s wake-up is asserted (the bench) or only reported (the suite's small run: no timing claims in tests). */
  assertTiming: boolean;
  log: (line: string) => void;
}

export interface ReplicasBenchReport {
  failures: string[];
  figures: Record<string, number | string>;
}

const USERS = ["alice", "bob"] as const;
type User = (typeof USERS)[number];
const VENDOR_LIMIT = 100;
const WAIT_WITHIN_MS = 3_000;
const TERMINAL = new Set(["succeeded", "failed", "canceled"]);

interface BenchJob {
  n: number;
  url: string;
  user: User;
  /** The replica whose client starts it (another one when that one is down). */
  home: number;
  jobId?: string;
  startAttempts: number;
  /** Ended with its results stored (set by the final check). */
  succeeded?: boolean;
  waitSample?: { replica: number; callStartedAt: number; answeredAt: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function structured(result: unknown): Record<string, any> {
  return ((result as { structuredContent?: Record<string, any> }).structuredContent ?? {}) as Record<string, any>;
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((item) => item.text ?? "").join(" ");
}

export async function runReplicasBench(options: ReplicasBenchOptions): Promise<ReplicasBenchReport> {
  const { log } = options;
  const failures: string[] = [];
  const figures: Record<string, number | string> = {};
  const check = (ok: boolean, what: string, detail: string[] = []) => {
    log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
    if (!ok) {
      failures.push(what);
      for (const line of detail.slice(0, 10)) log(`         ${line}`);
      if (detail.length > 10) log(`         … and ${detail.length - 10} more`);
    }
  };

  const database = await createBenchDatabase(log);

  const cleanups: Array<() => Promise<unknown>> = [];
  const replicas: Replica[] = [];
  const clients = new Map<string, Promise<Client>>();
  try {
    const fake = await startFake({ ports: options.replicas, doneAfterMs: options.jobMs, requestsPerMinute: VENDOR_LIMIT });
    cleanups.push(() => fake.stop());
    const idp = await startIdentityProvider();
    cleanups.push(() => idp.stop());
    const balancer = await startLoadBalancer(() => replicas.map((replica) => (replica.alive ? { index: replica.index, port: replica.port } : undefined)));
    cleanups.push(() => balancer.stop());
    const audience = `${balancer.url}/mcp`;
    const tokens: Record<User, string> = { alice: await idp.token("alice", audience), bob: await idp.token("bob", audience) };

    for (let index = 0; index < options.replicas; index++) {
      replicas.push(
        new Replica(index, await freePort(), {
          ...database.env,
          MEDIA_JOBS_OAUTH_ISSUER: idp.issuer,
          MEDIA_JOBS_PUBLIC_URL: balancer.url,
          MEDIA_JOBS_LEASE_MS: String(options.leaseMs),
          MEDIA_JOBS_LOG_LEVEL: "warning",
          PYANNOTEAI_API_KEY: fake.apiKey,
          PYANNOTEAI_BASE_URL: fake.baseUrls[index]!,
          PYANNOTEAI_WEBHOOK_SECRET: fake.webhookSecret,
        }),
      );
    }
    cleanups.push(async () => {
      for (const client of clients.values()) await client.then((each) => each.close()).catch(() => undefined);
      await Promise.all(replicas.map((replica) => replica.stop().catch(() => replica.kill())));
      for (const replica of replicas) replica.removeDataDir();
    });

    log(`replicas bench: ${options.jobs} pyannoteAI jobs, ${USERS.length} users, ${options.replicas} replicas on one PostgreSQL database (${database.name}), replica 1 killed ${options.kills}× with SIGKILL`);

    // Every replica starts at once on the empty database: each runs the migrations it needs.
    const startedAt = Date.now();
    const started = await Promise.allSettled(replicas.map((replica) => replica.start()));
    check(
      started.every((outcome) => outcome.status === "fulfilled"),
      `${options.replicas} replicas started at once on an empty database (migrations under the advisory lock)`,
      started.flatMap((outcome) => (outcome.status === "rejected" ? [String(outcome.reason)] : [])),
    );
    if (failures.length > 0) return { failures, figures };
    figures.startup_ms = Date.now() - startedAt;

    await database.installAudit();

    const client = (replica: number, user: User): Promise<Client> => {
      const key = `${replica}:${user}`;
      let connecting = clients.get(key);
      if (!connecting) {
        connecting = connectClient(replicas[replica]!.url, tokens[user]);
        connecting.catch(() => clients.delete(key));
        clients.set(key, connecting);
      }
      return connecting;
    };
    /** A replica went away: its sessions are gone, its clients reconnect when it is back. */
    const forget = (replica: number) => {
      for (const user of USERS) {
        const key = `${replica}:${user}`;
        const stale = clients.get(key);
        clients.delete(key);
        void stale?.then((each) => each.close()).catch(() => undefined);
      }
    };
    const call = async (replica: number, user: User, name: string, args: Record<string, unknown>, timeout = 90_000) => {
      try {
        return await (await client(replica, user)).callTool({ name, arguments: args }, undefined, { timeout });
      } catch (error) {
        forget(replica);
        throw error;
      }
    };

    const jobs: BenchJob[] = Array.from({ length: options.jobs }, (_, n) => ({
      n,
      url: `https://media.example.com/bench/recording-${n}.wav`,
      user: USERS[n % USERS.length]!,
      home: n % options.replicas,
      startAttempts: 0,
    }));
    const startArguments = (job: BenchJob) => ({ provider: "pyannote", task: "diarize", media: [{ url: job.url }], idempotency_key: `bench-${job.n}` });

    /** Starts one job through its home replica; when that one is down, through the next, with the same idempotency key. */
    const startJob = async (job: BenchJob) => {
      let replica = job.home;
      const giveUpAt = Date.now() + options.deadlineMs;
      while (Date.now() < giveUpAt) {
        job.startAttempts++;
        if (!replicas[replica]!.alive) {
          replica = (replica + 1) % options.replicas;
          await sleep(200);
          continue;
        }
        try {
          const result = await call(replica, job.user, "start_job", startArguments(job));
          if (!result.isError) {
            job.jobId = structured(result).job?.job_id;
            return;
          }
          // A start with this key is still being settled (its replica died mid-call): try again.
          await sleep(2_000);
        } catch {
          replica = (replica + 1) % options.replicas;
          await sleep(500);
        }
      }
      throw new Error(`job ${job.n} could not be started within the deadline`);
    };

    /** Waits for a job on a replica other than its home, as a second client of its user would. */
    const waitFor = async (job: BenchJob) => {
      const replica = (job.home + 1) % options.replicas;
      const giveUpAt = Date.now() + options.deadlineMs;
      while (Date.now() < giveUpAt) {
        if (!replicas[replica]!.alive) {
          await sleep(500);
          continue;
        }
        const callStartedAt = Date.now();
        try {
          const result = await call(replica, job.user, "get_job", { job_id: job.jobId, wait_seconds: 50 });
          const view = structured(result).job ?? {};
          if (TERMINAL.has(view.status) && view.results !== "pending") {
            job.waitSample = { replica, callStartedAt, answeredAt: Date.now() };
            return;
          }
        } catch {
          await sleep(500);
        }
      }
    };

    // Replica 1 is killed while jobs are being started, restarted, and killed again later
    // while they are being polled. Its clients reconnect when it is back.
    const chaos = async (progress: () => { started: number; ended: number }) => {
      const victim = replicas[Math.min(1, replicas.length - 1)]!;
      for (let kill = 0; kill < options.kills; kill++) {
        const due =
          kill === 0 && options.killWhileStarting
            ? () => progress().started >= Math.ceil(options.jobs / 3)
            : () => progress().started === options.jobs && progress().ended >= Math.ceil(options.jobs / 3);
        while (!due()) {
          if (Date.now() - loadStartedAt > options.deadlineMs) return;
          await sleep(100);
        }
        await victim.kill();
        forget(victim.index);
        log(`  replica ${victim.index} SIGKILLed (${kill + 1}/${options.kills}) with ${progress().started} jobs started, ${progress().ended} ended`);
        await sleep(1_500);
        await victim.start();
      }
    };

    const loadStartedAt = Date.now();
    let ended = 0;
    const watchEnds = setInterval(() => {
      void database.countEnded().then((count) => (ended = count)).catch(() => undefined);
    }, 500);
    const chaosDone = chaos(() => ({ started: jobs.filter((job) => job.jobId).length, ended }));
    const waiters: Array<Promise<void>> = [];
    const queue = [...jobs];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          await startJob(job);
          if (job.n % 2 === 0) waiters.push(waitFor(job));
        }
      }),
    );
    figures.start_all_ms = Date.now() - loadStartedAt;
    while (ended < options.jobs && Date.now() - loadStartedAt < options.deadlineMs) await sleep(500);
    clearInterval(watchEnds);
    ended = await database.countEnded();
    await chaosDone;
    await Promise.all(waiters);
    figures.all_ended_ms = Date.now() - loadStartedAt;
    figures.start_retries = jobs.filter((job) => job.startAttempts > 1).length;
    log(
      `  ${ended}/${options.jobs} jobs ended with results stored in ${(figures.all_ended_ms / 1000).toFixed(1)} s (all started in ${(figures.start_all_ms / 1000).toFixed(1)} s; ` +
        `${figures.start_retries} start_job calls retried with their key after a kill)`,
    );

    // Every job, as its user sees it on some live replica: ended, results stored; none lost. A
    // start_job cut off by a kill may end "unconfirmed" when the vendor cannot tell its job from
    // another started at the same moment (pyannoteAI lists jobs without their input): then the
    // job says so and names the vendor jobs it may be, so none is lost track of.
    const fakeLog: FakeLog = await fake.log();
    const lost: string[] = [];
    const unconfirmed: string[] = [];
    for (const job of jobs) {
      if (!job.jobId) {
        lost.push(`job ${job.n}: start_job never returned a job`);
        continue;
      }
      const replica = replicas.find((each) => each.alive)!.index;
      const view = structured(await call(replica, job.user, "get_job", { job_id: job.jobId })).job ?? {};
      job.succeeded = view.status === "succeeded" && view.results === "stored";
      if (job.succeeded) continue;
      if (view.status === "failed" && view.error?.code === "submission_interrupted" && job.startAttempts > 1) unconfirmed.push(String(view.error.message));
      else lost.push(`${job.jobId}: ${view.status}, results ${view.results}`);
    }
    const tracked = new Set(jobs.filter((job) => job.succeeded).map((job) => job.jobId!.slice("pyannote:".length)));
    for (const vendorJob of fakeLog.jobs) {
      if (!tracked.has(vendorJob.jobId) && !unconfirmed.some((message) => message.includes(`pyannote:${vendorJob.jobId}`))) {
        lost.push(`vendor job ${vendorJob.jobId} (${vendorJob.url}) is no job of the server's, nor named by an unconfirmed one`);
      }
    }
    const stored = await database.countJobs();
    if (stored !== options.jobs) lost.push(`the store holds ${stored} jobs for ${options.jobs} started`);
    figures.unconfirmed = unconfirmed.length;
    check(
      lost.length === 0,
      `every job ended and none is lost: ${options.jobs - lost.length - unconfirmed.length}/${options.jobs} succeeded with results stored` +
        (unconfirmed.length > 0 ? `, ${unconfirmed.length} cut off by the kill while being sent and recorded as unconfirmed (the vendor jobs it may be named)` : ""),
      lost,
    );

    // A retried start_job with the same key, on another replica, is the same job.
    const retried = jobs.filter((job) => job.n % 5 === 0 && job.jobId);
    const mismatched: string[] = [];
    for (const job of retried) {
      const replica = (job.home + 2) % options.replicas;
      const again = structured(await call(replica, job.user, "start_job", startArguments(job))).job ?? {};
      if (again.job_id !== job.jobId) mismatched.push(`job ${job.n}: ${job.jobId} on its first start, ${again.job_id} on replica ${replica}`);
    }
    check(mismatched.length === 0, `a start_job retried with the same idempotency_key on another replica returns the same job: ${retried.length - mismatched.length}/${retried.length}`, mismatched);

    // Read again: the retries above must not have sent anything.
    const latestLog = await fake.log();
    const requests = latestLog.requests;
    check(onePostPerJob(requests, jobs.map((job) => job.url)).length === 0, "exactly one vendor POST per job", onePostPerJob(requests, jobs.map((job) => job.url)));

    const changes = await database.leaseChanges();
    const leases = leaseTakeovers(changes);
    figures.lease_takeovers = leases.takeovers;
    check(leases.violations.length === 0, `no lease taken before the previous holder's expired (${leases.takeovers} takeovers)`, leases.violations);
    const polls = pollsByOneReplica(
      requests,
      replicas.map((replica) => replica.kills),
    );
    figures.poll_handovers = polls.handovers;
    check(polls.violations.length === 0, `no job polled by two replicas at once (per-job vendor GETs; ${polls.handovers} handovers, each after the previous replica was killed)`, polls.violations);

    const perReplica = replicas.map((replica) => requests.filter((request) => request.server === replica.index).length);
    const refused = requests.filter((request) => request.status === 429).length;
    const { peak } = peakInWindow(requests);
    figures.vendor_requests = requests.length;
    figures.vendor_peak_per_minute = Math.max(peak, latestLog.rateLimit.peakPerMinute);
    log(`  vendor requests: ${requests.length} (by replica: ${perReplica.join(" / ")}), 429s: ${refused}; webhooks via the load balancer by replica: ${replicas.map((replica) => balancer.routed[replica.index] ?? 0).join(" / ")}`);
    check(
      refused === 0 && latestLog.rateLimit.refused === 0 && figures.vendor_peak_per_minute <= VENDOR_LIMIT,
      `the vendor's rate limit was never exceeded: peak ${figures.vendor_peak_per_minute} requests in any 60 s (limit ${VENDOR_LIMIT}), ${refused} answered 429`,
    );

    // get_job waits on one replica against the completion recorded by another.
    const recorded = await database.completionTimes();
    const holderReplica = (holder: string | null) => replicas.find((replica) => replica.pids.some((pid) => holder?.includes(`#${pid}#`)))?.index;
    const lags: number[] = [];
    const late: string[] = [];
    for (const job of jobs) {
      const sample = job.waitSample;
      const completion = job.jobId ? recorded.get(job.jobId) : undefined;
      if (!sample || !completion) continue;
      // Only a wait that was under way when the completion was recorded, on another replica.
      if (sample.callStartedAt > completion.at || holderReplica(completion.holder) === sample.replica) continue;
      const lag = sample.answeredAt - completion.at;
      lags.push(lag);
      if (lag > WAIT_WITHIN_MS) late.push(`${job.jobId}: the wait on replica ${sample.replica} answered ${lag} ms after replica ${holderReplica(completion.holder)} recorded the completion`);
    }
    figures.wait_samples = lags.length;
    figures.wait_lag_p50_ms = percentile(lags, 0.5);
    figures.wait_lag_max_ms = lags.length > 0 ? Math.max(...lags) : Number.NaN;
    const waited = jobs.filter((job) => job.n % 2 === 0 && job.jobId);
    const unanswered = waited.filter((job) => !job.waitSample).map((job) => `${job.jobId}: its get_job wait on replica ${(job.home + 1) % options.replicas} never answered with the finished job`);
    check(unanswered.length === 0, `every get_job wait on a replica that did not start the job ended with the finished job (${waited.length} waits)`, unanswered);
    const lagSummary = `${lags.length} waits under way when another replica recorded the completion, lag p50 ${figures.wait_lag_p50_ms} ms, max ${figures.wait_lag_max_ms} ms`;
    if (options.assertTiming) {
      check(
        lags.length > 0 && late.length === 0,
        `a get_job wait on one replica answers within ${WAIT_WITHIN_MS / 1000} s of another recording the completion: ${lagSummary}`,
        lags.length === 0 ? ["no wait was under way on another replica when its job completed"] : late,
      );
    } else {
      log(`  info ${lagSummary}`);
    }

    // Read latencies with 1 replica, then 3, over the same finished jobs.
    const finished = jobs.filter((job) => job.succeeded);
    const measure = async (replicaCount: number) => {
      const latencies: Record<"get_job" | "get_predictions", number[]> = { get_job: [], get_predictions: [] };
      const total = options.reads;
      let next = 0;
      const one = async (index: number, record: boolean) => {
        const job = finished[index % finished.length]!;
        const replica = index % replicaCount;
        for (const name of ["get_job", "get_predictions"] as const) {
          const began = performance.now();
          const result = await call(replica, job.user, name, { job_id: job.jobId });
          if (result.isError) throw new Error(`${name} ${job.jobId} on replica ${replica}: ${textOf(result)}`);
          if (record) latencies[name].push(performance.now() - began);
        }
      };
      for (let index = 0; index < 2 * replicaCount * USERS.length; index++) await one(index, false);
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          for (let index = next++; index < total; index = next++) await one(index, true);
        }),
      );
      return latencies;
    };
    if (options.reads === 0) return { failures, figures };
    for (const replica of replicas.slice(1)) await replica.stop();
    for (const replica of replicas.slice(1)) forget(replica.index);
    const single = await measure(1);
    await Promise.all(replicas.slice(1).map((replica) => replica.start()));
    const triple = await measure(options.replicas);
    log(`  latency over ${options.reads} calls each, 6 at a time (ms)      p50     p95`);
    for (const [label, latencies] of [
      ["1 replica ", single],
      [`${options.replicas} replicas`, triple],
    ] as const) {
      for (const name of ["get_job", "get_predictions"] as const) {
        const p50 = percentile(latencies[name], 0.5);
        const p95 = percentile(latencies[name], 0.95);
        figures[`${name}_p50_ms_${label.trim().replace(" ", "_")}`] = Math.round(p50 * 10) / 10;
        figures[`${name}_p95_ms_${label.trim().replace(" ", "_")}`] = Math.round(p95 * 10) / 10;
        log(`    ${name.padEnd(16)} ${label}                         ${p50.toFixed(1).padStart(7)} ${p95.toFixed(1).padStart(7)}`);
      }
    }
    return { failures, figures };
  } catch (error) {
    failures.push(`the bench stopped: ${error instanceof Error ? error.message : String(error)}`);
    log(`  FAIL the bench stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    for (const replica of replicas) if (replica.tail()) log(`  replica ${replica.index} stderr (last lines):\n${replica.tail()}`);
    return { failures, figures };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await database.drop();
  }
}

/** The bench's view of the replicas' database: its own, created and dropped here. */
export interface BenchDatabase {
  name: string;
  /** What the replicas are given to use it. */
  env: Record<string, string>;
  /** Installs the lease and job audit (after the replicas created the schema). */
  installAudit(): Promise<void>;
  /** Jobs that ended, with results stored when they succeeded. */
  countEnded(): Promise<number>;
  countJobs(): Promise<number>;
  leaseChanges(): Promise<LeaseChange[]>;
  /** When each job's results were first recorded as stored, and by which lease holder. */
  completionTimes(): Promise<Map<string, { at: number; holder: string | null }>>;
  drop(): Promise<void>;
}

async function createBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  const adminUrl = process.env.MEDIA_JOBS_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `mjm_bench_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const database = new pg.Client({ connectionString: url.href });
  let connected = false;
  const connect = async () => {
    if (!connected) await database.connect();
    connected = true;
    return database;
  };
  return {
    name,
    env: { MEDIA_JOBS_DATABASE_URL: url.href },
    async installAudit() {
      await installAudit(await connect());
    },
    async countEnded() {
      return countEnded(await connect());
    },
    async countJobs() {
      const { rows } = await (await connect()).query<{ count: string }>("SELECT count(*) AS count FROM jobs");
      return Number(rows[0]!.count);
    },
    async leaseChanges() {
      return leaseChanges(await connect());
    },
    async completionTimes() {
      return completionTimes(await connect());
    },
    async drop() {
      if (connected) await database.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: unknown) => log(`  could not drop ${name}: ${String(error)}`));
      await admin.end();
    },
  };
}

/**
 * A bench-only audit in the bench's own database: every change of a job's lease holder, and
 * every change of its stored state, with the database's clock. Not part of the server schema.
 */
async function installAudit(database: pg.Client): Promise<void> {
  await database.query(`
    CREATE TABLE bench_lease_audit (job_id text, old_holder text, old_expires_at bigint, new_holder text, at bigint);
    CREATE TABLE bench_job_audit (job_id text, status text, result_state text, holder text, at bigint);
    CREATE FUNCTION bench_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      at bigint := (extract(epoch from clock_timestamp()) * 1000)::bigint;
    BEGIN
      IF NEW.lease_holder IS NOT NULL AND NEW.lease_holder IS DISTINCT FROM OLD.lease_holder THEN
        INSERT INTO bench_lease_audit VALUES (NEW.id, OLD.lease_holder, OLD.lease_expires_at, NEW.lease_holder, at);
      END IF;
      IF NEW.data IS DISTINCT FROM OLD.data THEN
        INSERT INTO bench_job_audit VALUES (NEW.id, NEW.status, NEW.data::jsonb->>'resultState', NEW.lease_holder, at);
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER bench_audit AFTER UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION bench_audit();
  `);
}

async function countEnded(database: pg.Client): Promise<number> {
  const { rows } = await database.query<{ count: string }>(
    "SELECT count(*) AS count FROM jobs WHERE status IN ('succeeded', 'failed', 'canceled') AND (status <> 'succeeded' OR data::jsonb->>'resultState' <> 'none')",
  );
  return Number(rows[0]!.count);
}

async function leaseChanges(database: pg.Client): Promise<LeaseChange[]> {
  const { rows } = await database.query<{ job_id: string; old_holder: string | null; old_expires_at: string | null; new_holder: string; at: string }>(
    "SELECT job_id, old_holder, old_expires_at, new_holder, at FROM bench_lease_audit ORDER BY at",
  );
  return rows.map((row) => ({
    jobId: row.job_id,
    oldHolder: row.old_holder,
    oldExpiresAt: row.old_expires_at === null ? null : Number(row.old_expires_at),
    newHolder: row.new_holder,
    at: Number(row.at),
  }));
}

/** When each job's results were first recorded as stored, and by which lease holder. */
async function completionTimes(database: pg.Client): Promise<Map<string, { at: number; holder: string | null }>> {
  const { rows } = await database.query<{ job_id: string; at: string; holder: string | null }>(
    "SELECT DISTINCT ON (job_id) job_id, at, holder FROM bench_job_audit WHERE result_state = 'stored' ORDER BY job_id, at",
  );
  return new Map(rows.map((row) => [row.job_id, { at: Number(row.at), holder: row.holder }]));
}

export function parseReplicasBenchArguments(argv: string[]): ReplicasBenchOptions {
  const quick = argv.includes("--quick");
  const jobsFlag = argv.indexOf("--jobs");
  const jobs = jobsFlag >= 0 ? Number(argv[jobsFlag + 1]) : quick ? 12 : 60;
  if (!Number.isInteger(jobs) || jobs < 3) throw new Error("--jobs takes a whole number of at least 3");
  return {
    jobs,
    replicas: 3,
    kills: quick ? 1 : 2,
    killWhileStarting: true,
    reads: quick ? 60 : 300,
    jobMs: 6_000,
    leaseMs: 10_000,
    deadlineMs: 10 * 60_000,
    assertTiming: true,
    log: (line) => console.log(line),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await runReplicasBench(parseReplicasBenchArguments(process.argv.slice(2)));
  console.log(report.failures.length === 0 ? "replicas bench: all assertions hold" : `replicas bench: ${report.failures.length} assertion(s) failed`);
  process.exit(report.failures.length === 0 ? 0 : 1);
}

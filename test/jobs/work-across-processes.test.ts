// Jobs whose work runs inside a server (the local analyzer) when several servers share one
// store: two apps on one SQLite file, as two processes on one data dir are, and two apps on one
// PostgreSQL schema, as two replicas are (the PostgreSQL here: a database of this run's own,
// a schema per test, dropped at the end). A cancel or a takeover elsewhere stops the work here;
// a takeover that cannot read the job's file fails it plainly.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { assembleApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import type { Job } from "../../src/jobs/job.js";
import { createLogger } from "../../src/logger.js";
import { createLocalAdapter } from "../../src/providers/local/local-adapter.js";
import type { ProviderAdapter } from "../../src/providers/provider.js";
import { fakeDeps, type FakeDeps } from "../providers/local/fake-deps.js";
import { concat, harmonicStack, silence, tempDir, writeWav } from "../providers/local/signals.js";

const RATE = 16_000;
const media = tempDir("mjm-across-media-");
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Minutes of speech-like audio: an analysis that runs for seconds. */
function longFile(name: string, minutes: number): string {
  const pattern = concat(harmonicStack(2, RATE, 150, 0.3, { amHz: 4 }), silence(1, RATE));
  const repeats = Math.ceil((minutes * 60) / 3);
  const signal = new Float32Array(pattern.length * repeats);
  for (let index = 0; index < repeats; index++) signal.set(pattern, index * pattern.length);
  return writeWav(media, name, [signal], RATE);
}

interface Server {
  app: App;
  local: ProviderAdapter;
  deps: FakeDeps;
  logs: string[];
}

/** Where the servers of one test keep their jobs: a data dir, or a PostgreSQL URL. */
interface SharedStore {
  env(): Record<string, string>;
}

const PG_SERVER = "postgres://postgres@127.0.0.1:5432";
const pgDatabase = `mjm_across_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
let pgSchemas = 0;

const KINDS: Array<{ kind: string; shared(): SharedStore }> = [
  {
    kind: "SQLite (two processes on one data dir)",
    shared() {
      const dir = tempDir("mjm-across-data-");
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      return { env: () => ({ MEDIA_JOBS_DATA_DIR: dir }) };
    },
  },
  {
    kind: "PostgreSQL (two replicas on one database)",
    shared() {
      const url = `${PG_SERVER}/${pgDatabase}?schema=across_${++pgSchemas}`;
      return {
        // Each replica has a data dir of its own (nothing of the jobs is in it).
        env: () => {
          const dir = tempDir("mjm-across-replica-");
          cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
          return { MEDIA_JOBS_DATA_DIR: dir, MEDIA_JOBS_DATABASE_URL: url };
        },
      };
    },
  },
];

beforeAll(async () => {
  const root = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await root.connect();
  await root.query(`CREATE DATABASE ${pgDatabase}`);
  await root.end();
});

afterAll(async () => {
  const root = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await root.connect();
  await root.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
  await root.end();
});

/** One server on the shared store with the local analyzer (one worker); its poller runs. */
async function startServer(shared: SharedStore, urls: Record<string, string> = {}): Promise<Server> {
  const config = loadConfig({
    ...shared.env(),
    MEDIA_JOBS_POLL_INITIAL_MS: "50",
    MEDIA_JOBS_POLL_MAX_MS: "200",
    MEDIA_JOBS_LEASE_MS: "1000",
  });
  const logs: string[] = [];
  const deps = fakeDeps(urls);
  const local = createLocalAdapter(deps, { maxConcurrent: 1 });
  const app = await assembleApp(config, () => [local], { logger: createLogger({ level: "debug", secrets: [], write: (line) => logs.push(line) }) });
  app.poller.start();
  cleanups.push(() => app.close());
  return { app, local, deps, logs };
}

function pathMedia(file: string) {
  return { kind: "path" as const, path: file, name: path.basename(file), bytes: fs.statSync(file).size };
}

async function analysing(server: Server, id: string): Promise<Job> {
  let job: Job | undefined;
  await vi.waitFor(async () => {
    job = await server.app.store.getJob(id);
    expect(job?.status).toBe("running");
    expect(job?.progress?.done ?? 0).toBeGreaterThan(0);
  }, { timeout: 30_000, interval: 50 });
  return job!;
}

describe.each(KINDS)("in-process work with two servers on one store: $kind", ({ shared }) => {
  it("stops the analysis where it runs when another server cancels the job: worker gone, download removed, nothing stored", async () => {
    const store = shared();
    const url = "https://media.example.com/long-talk.wav";
    const holder = await startServer(store, { [url]: longFile("long-talk.wav", 10) });
    const other = await startServer(store);

    const { job } = await holder.app.jobs.start({ provider: "local", media: [{ kind: "url", url }], options: {} });
    await analysing(holder, job.id);
    expect(holder.deps.downloads).toEqual([url]);

    // A client of the other server cancels; that server has no worker for it.
    const canceled = await other.app.jobs.cancel(job.id);
    expect(canceled.status).toBe("canceled");

    // The holder notices through the store, stops its worker and removes its download.
    await vi.waitFor(() => expect(holder.logs.join("\n")).toContain(`job ${job.id}: its work here stopped, as it was canceled`), { timeout: 10_000, interval: 50 });
    expect(holder.local.runningHere!()).toEqual([]);
    expect(holder.deps.removed).toHaveLength(1);
    expect(fs.existsSync(holder.deps.removed[0]!)).toBe(false);
    expect(holder.logs.join("\n")).not.toContain(`job ${job.id} results stored`);

    const stored = (await other.app.store.getJob(job.id))!;
    expect(stored).toMatchObject({ status: "canceled", resultState: "none" });
    expect(await other.app.store.listResultParts(job.id)).toEqual([]);
  }, 60_000);

  it("hands a job to the server that took it over: the one that lost its lease stops its run, the job is analysed to one result", async () => {
    const store = shared();
    const file = longFile("takeover.wav", 12);
    const first = await startServer(store);
    const { job } = await first.app.jobs.start({ provider: "local", media: [pathMedia(file)], options: {} });
    await analysing(first, job.id);

    // The first server stalls (no poller, no lease renewal) while its worker goes on; the second
    // starts after, so it takes the job only once the first's lease has run out.
    await first.app.poller.stop();
    const second = await startServer(store);
    await vi.waitFor(() => expect(second.local.runningHere!()).toEqual([job.nativeId]), { timeout: 10_000, interval: 50 });

    // The first comes back: the job is no longer its own, so its run stops. (On PostgreSQL it
    // may have heard the second's first save already, and stopped then.)
    await first.app.jobs.checkWorkHere();
    expect(first.local.runningHere!()).toEqual([]);
    await vi.waitFor(() => expect(first.logs.join("\n")).toContain(`job ${job.id}: its work here stopped, as another server took it over`));
    first.app.poller.start();

    let done: Job | undefined;
    await vi.waitFor(async () => {
      done = await second.app.store.getJob(job.id);
      expect(done).toMatchObject({ status: "succeeded", resultState: "stored" });
    }, { timeout: 120_000, interval: 200 });
    expect((await second.app.store.listResultParts(job.id)).map((part) => part.name)).toEqual(["report.json"]);
    expect(second.logs.join("\n")).toContain(`job ${job.id} results stored`);
    expect(first.logs.join("\n")).not.toContain(`job ${job.id} results stored`);
    // Settled in the store: neither server keeps anything of it in memory.
    await vi.waitFor(() => expect(second.local.runningHere!()).toEqual([]), { timeout: 10_000, interval: 50 });
    expect(first.local.runningHere!()).toEqual([]);
  }, 180_000);

  it("fails a job taken over by a server that cannot read its file, saying why, instead of leaving it to hang", async () => {
    const store = shared();
    const directory = tempDir("mjm-across-only-here-");
    cleanups.push(() => fs.rmSync(directory, { recursive: true, force: true }));
    const file = path.join(directory, "only-on-the-first-machine.wav");
    fs.copyFileSync(longFile("only-source.wav", 10), file);
    const first = await startServer(store);
    const { job } = await first.app.jobs.start({ provider: "local", media: [pathMedia(file)], options: {} });
    await analysing(first, job.id);

    // The first server dies; the file is not on the machine of the server that takes over.
    await first.app.poller.stop();
    fs.rmSync(directory, { recursive: true, force: true });
    const second = await startServer(store);

    let failed: Job | undefined;
    await vi.waitFor(async () => {
      failed = await second.app.store.getJob(job.id);
      expect(failed?.status).toBe("failed");
    }, { timeout: 30_000, interval: 100 });
    expect(failed!.error).toMatchObject({ code: "input_unavailable" });
    expect(failed!.error!.message).toMatch(/^only-on-the-first-machine\.wav cannot be read by the server running this job \(ENOENT\): this server took the job over/);
    expect(failed!.error!.message).toContain("create_upload");
    // And the first, back, drops its run of a job that has ended.
    await first.app.jobs.checkWorkHere();
    expect(first.local.runningHere!()).toEqual([]);
  }, 60_000);
});

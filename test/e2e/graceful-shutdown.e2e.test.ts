// Health and graceful shutdown of the built server over HTTP: /health and /ready answer
// without a token; on SIGTERM an in-flight get_job wait still gets its answer, /ready turns 503,
// new connections are refused, the process exits 0, and its job lease is released so a second
// server on the same store takes the job over at once (long before the lease would expire) —
// on a SQLite data dir, and on PostgreSQL (a database of this run's own, dropped at the end).

import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHumeFake, type HumeFake } from "../fakes/hume-fake.js";
import { callTool, startHttp, structured, tempDataDir, type HttpChild } from "./harness.js";

const TOKEN = "shutdown-test-token-5d1c";
/** Far longer than the test: a job can only move to the second server if the first released it. */
const LEASE_MS = 120_000;

const PG_SERVER = "postgres://postgres@127.0.0.1:5432";
const pgDatabase = `mjm_shutdown_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;

let fake: HumeFake;
const dataDirs: string[] = [];
const children: HttpChild[] = [];

beforeAll(async () => {
  // One QUEUED answer, one IN_PROGRESS, then COMPLETED; the test holds the job in QUEUED itself.
  fake = await startHumeFake({ queuedPolls: 1, runningPolls: 1 });
  const root = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await root.connect();
  await root.query(`CREATE DATABASE ${pgDatabase}`);
  await root.end();
});

afterAll(async () => {
  for (const child of children) await child.close();
  await fake?.close();
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  const root = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await root.connect();
  await root.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
  await root.end();
});

function newDataDir(): string {
  const dir = tempDataDir();
  dataDirs.push(dir);
  return dir;
}

/** The store env of every server in one test: a shared data dir, or one database (each server its own data dir). */
const STORES: Array<[string, () => () => Record<string, string>]> = [
  [
    "SQLite",
    () => {
      const dataDir = newDataDir();
      return () => ({ MEDIA_JOBS_DATA_DIR: dataDir });
    },
  ],
  ["PostgreSQL", () => () => ({ MEDIA_JOBS_DATA_DIR: newDataDir(), MEDIA_JOBS_DATABASE_URL: `${PG_SERVER}/${pgDatabase}?schema=shutdown` })],
];

async function startServer(storeEnv: Record<string, string>): Promise<HttpChild> {
  const child = await startHttp({
    HUME_API_KEY: fake.apiKey,
    HUME_BASE_URL: fake.baseUrl,
    ...storeEnv,
    MEDIA_JOBS_HTTP_TOKEN: TOKEN,
    MEDIA_JOBS_LEASE_MS: String(LEASE_MS),
  });
  children.push(child);
  return child;
}

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL(path, base));
  return { status: response.status, body: await response.json() };
}

/** A connection with a request head begun but not finished: the server keeps it through its stop. */
async function beginRequest(url: URL, path: string): Promise<{ finish(): Promise<string> }> {
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n`);
  let received = "";
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    async finish() {
      socket.write("\r\n");
      await closed;
      return received;
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met within 20 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function connectionRefused(url: URL): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe.each(STORES)("health and graceful shutdown over HTTP on %s", (_store, newStore) => {
  it("answers an in-flight wait, refuses new work, exits 0 and releases its lease to the next server", async () => {
    const storeEnv = newStore();
    const first = await startServer(storeEnv());
    const base = new URL(first.url);
    const headers = { authorization: `Bearer ${TOKEN}` };

    // Alive and ready, without a token; /mcp still needs one.
    expect(await get(first.url, "/health")).toMatchObject({ status: 200, body: { ok: true } });
    expect(await get(first.url, "/ready")).toEqual({ status: 200, body: { ready: true } });
    expect((await fetch(first.url, { method: "POST", body: "{}" })).status).toBe(401);

    const client = await first.connect(headers);
    const started = structured<{ job: { job_id: string } }>(
      await callTool(client, "start_job", { provider: "hume", media: [{ url: "https://media.example.com/talk.mp4" }], options: { models: { prosody: {} } } }),
    );
    const jobId = started.job.job_id;
    const hume = fake.jobs.get(jobId.slice("hume:".length))!;
    hume.polls = -1_000_000; // stays QUEUED until released below

    // Begun now, finished during the stop: by then the server has long read its first lines.
    const readyLater = await beginRequest(base, "/ready");

    // In flight when the stop begins: a long wait (its first progress notification says the
    // server is in it), and a start_job whose vendor call takes 3 s to answer.
    let inWait!: () => void;
    const waiting = new Promise<void>((resolve) => (inWait = resolve));
    const waitAnswer = client.callTool({ name: "get_job", arguments: { job_id: jobId, wait_seconds: 45 } }, undefined, {
      timeout: 120_000,
      onprogress: () => inWait(),
    });
    await waiting;
    const postsBefore = fake.server.requests.filter((request) => request.method === "POST").length;
    fake.server.injectFault({ kind: "delay", delayMs: 3_000 }, { method: "POST", pathPrefix: "/v0/batch/jobs" });
    const startAnswer = callTool(client, "start_job", { provider: "hume", media: [{ url: "https://media.example.com/late.mp4" }], options: { models: { prosody: {} } } });
    await until(() => fake.server.requests.filter((request) => request.method === "POST").length > postsBefore);

    const exited = new Promise<number | null>((resolve) => first.child.once("exit", (code) => resolve(code)));
    first.child.kill("SIGTERM");
    await until(() => first.stderr().includes("shutting down"));

    // A request that arrives during the stop: not ready. A new connection: refused.
    const readyAnswer = await readyLater.finish();
    expect(readyAnswer).toMatch(/^HTTP\/1\.1 503 /);
    expect(readyAnswer).toContain('"shutting down"');
    expect(await connectionRefused(base)).toBe("ECONNREFUSED");
    // The wait answers with the job as it stands; the start_job gets its job.
    const waited = (await waitAnswer) as { isError?: boolean; structuredContent?: { job: { status: string } } };
    expect(waited.isError).toBeFalsy();
    expect(waited.structuredContent?.job.status).toBe("queued");
    const late = structured<{ job: { job_id: string; status: string } }>(await startAnswer);
    expect(late.job.job_id).toMatch(/^hume:/);
    expect(await exited).toBe(0);
    expect(first.stderr()).not.toMatch(/unfinished/);

    // The second server takes the job over at once: its lease (2 minutes) was given up.
    hume.polls = 1; // the next look answers IN_PROGRESS, the one after COMPLETED
    const second = await startServer(storeEnv());
    const secondClient = await second.connect(headers);
    const resumed = structured<{ job: { status: string } }>(await callTool(secondClient, "get_job", { job_id: jobId, wait_seconds: 30 }));
    expect(resumed.job.status).toBe("succeeded");
  });
});

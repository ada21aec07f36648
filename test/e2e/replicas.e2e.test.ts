// Replicas: three built servers in HTTP mode on one PostgreSQL database of this run's own
// (dropped at the end), against the loopback pyannoteAI fake with one port per replica, so
// every vendor request says which replica sent it. They start at once on the empty database
// (each runs the migrations it needs), a webhook that lands on a replica that does not hold the
// job updates it and wakes a wait on a third, a start_job retried with the same idempotency
// key on any replica is the same job, and every vendor request took a slot of the window the
// replicas share.

import crypto from "node:crypto";
import net from "node:net";
import pg from "pg";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPyannoteFake, type PyannoteFake } from "../fakes/pyannote-fake.js";
import { callTool, startHttp, structured, tempDataDir, textOf, type HttpChild } from "./harness.js";

const SERVER = "postgres://postgres@127.0.0.1:5432";
const database = `mjm_replicas_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
const TOKEN = "replicas-test-token-0123456789";
const WEBHOOK_SECRET = "replicas-webhook-secret-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };

let fake: PyannoteFake;
let admin: pg.Client;
const replicas: HttpChild[] = [];
const clients: Client[] = [];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  const root = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await root.connect();
  await root.query(`CREATE DATABASE ${database}`);
  await root.end();
  admin = new pg.Client({ connectionString: `${SERVER}/${database}` });
  await admin.connect();
  fake = await startPyannoteFake({ mirrors: 2, webhookSecret: WEBHOOK_SECRET, pollsUntilDone: 1_000 });
});

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  for (const replica of replicas) await replica.close();
  await fake?.close();
  await admin?.end();
  const root = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await root.connect();
  await root.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await root.end();
});

/** Replica `index` (0, 1, 2) of the cluster; the load balancer sends every webhook to replica 1. */
function replica(index: number): HttpChild {
  const found = replicas[index];
  if (!found) throw new Error(`replica ${index} did not start`);
  return found;
}

async function client(index: number): Promise<Client> {
  const connected = await replica(index).connect(AUTH);
  clients.push(connected);
  return connected;
}

/** Vendor requests by replica, from the fake's ports. */
function vendorRequests(method: string, pathPrefix: string): number[] {
  return fake.servers.map((server) => server.requestsTo(method, pathPrefix).length);
}

const startArguments = (name: string, key?: string) => ({
  provider: "pyannote",
  task: "diarize",
  media: [{ url: `https://media.example.com/${name}.wav` }],
  ...(key ? { idempotency_key: key } : {}),
});

describe("three replicas on one PostgreSQL database", () => {
  it("start together on the empty database: each runs the migrations it needs, once", async () => {
    const webhookPort = await freePort();
    const started = await Promise.allSettled(
      [0, 1, 2].map(async (index) => {
        const dataDir = tempDataDir();
        return startHttp(
          {
            MEDIA_JOBS_DATABASE_URL: `${SERVER}/${database}`,
            MEDIA_JOBS_DATA_DIR: dataDir,
            MEDIA_JOBS_HTTP_TOKEN: TOKEN,
            // The load balancer's address: every webhook lands on replica 1.
            MEDIA_JOBS_PUBLIC_URL: `http://127.0.0.1:${webhookPort}`,
            // No replica polls on its own in this test: what a replica learns, it learns from
            // the webhook, the store and its peers.
            MEDIA_JOBS_POLL_INITIAL_MS: "600000",
            MEDIA_JOBS_POLL_MAX_MS: "600000",
            MEDIA_JOBS_LOG_LEVEL: "warning",
            PYANNOTEAI_API_KEY: fake.apiKey,
            PYANNOTEAI_BASE_URL: fake.baseUrls[index]!,
            PYANNOTEAI_WEBHOOK_SECRET: WEBHOOK_SECRET,
          },
          index === 1 ? ["--port", String(webhookPort)] : [],
        );
      }),
    );
    for (const outcome of started) if (outcome.status === "fulfilled") replicas.push(outcome.value);
    expect(started.map((outcome) => (outcome.status === "rejected" ? String(outcome.reason) : "listening"))).toEqual(["listening", "listening", "listening"]);
    const versions = await admin.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    expect(versions.rows.map((row) => row.version)).toEqual(versions.rows.map((_, index) => index + 1));
    for (const index of [0, 1, 2]) {
      const providers = await callTool(await client(index), "list_providers", {});
      expect(providers.isError ?? false, textOf(providers)).toBe(false);
    }
  });

  it("a webhook landing on a replica that does not hold the job ends it, and a get_job wait on a third replica answers at once", async () => {
    const [holder, third] = [await client(0), await client(2)];
    const jobId = structured<{ job: { job_id: string } }>(await callTool(holder, "start_job", startArguments("webhook-elsewhere"))).job.job_id;
    const nativeId = jobId.slice("pyannote:".length);
    // Replica 0 started it, so replica 0 holds it; replica 2 waits on it.
    const waiting = callTool(third, "get_job", { job_id: jobId, wait_seconds: 45 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const finishedAt = Date.now();
    await fake.finishJob(nativeId);
    const delivery = fake.webhookDeliveries.find((each) => each.jobId === nativeId);
    expect(delivery).toMatchObject({ url: `${replica(1).url.replace(/\/mcp$/, "")}/webhooks/pyannote`, httpStatus: 200 });
    const answer = structured<{ job: { status: string; results: string } }>(await waiting).job;
    expect(answer).toMatchObject({ status: "succeeded", results: "stored" });
    // Woken, not timed out: without the change reaching replica 2 from the store it would have waited its 45 s.
    expect(Date.now() - finishedAt).toBeLessThan(40_000);
    // Only the holder asked the vendor about the job, and it was created once.
    expect(fake.servers.map((server) => server.requests.filter((request) => request.method === "GET" && request.path === `/v1/jobs/${nativeId}`).length > 0)).toEqual([true, false, false]);
    expect(fake.jobs.size).toBe(1);
    const predictions = await callTool(third, "get_predictions", { job_id: jobId });
    expect(predictions.isError ?? false, textOf(predictions)).toBe(false);
  });

  it("a webhook delivery accepted by one replica is refused as a replay by every other", async () => {
    const jobId = structured<{ job: { job_id: string } }>(await callTool(await client(0), "start_job", startArguments("replayed"))).job.job_id;
    const body = { jobId: jobId.slice("pyannote:".length), status: "running" };
    const timestamp = Math.floor(Date.now() / 1000);
    const webhookUrl = (index: number) => `${replica(index).url.replace(/\/mcp$/, "")}/webhooks/pyannote`;
    expect(await fake.sendWebhook(webhookUrl(2), body, { secret: WEBHOOK_SECRET, timestamp })).toBe(200);
    for (const index of [0, 1, 2]) expect(await fake.sendWebhook(webhookUrl(index), body, { secret: WEBHOOK_SECRET, timestamp }), `replica ${index}`).toBe(401);
  });

  it("a start_job retried with the same idempotency_key on any replica, one after the other or all at once, is one job created once", async () => {
    const everywhere = [await client(0), await client(1), await client(2)];
    const first = structured<{ job: { job_id: string } }>(await callTool(everywhere[1]!, "start_job", startArguments("retried", "retry-key-1"))).job.job_id;
    for (const each of everywhere) {
      expect(structured<{ job: { job_id: string } }>(await callTool(each, "start_job", startArguments("retried", "retry-key-1"))).job.job_id).toBe(first);
    }
    // All at once: one replica submits; the others answer with its job, or ask to call again.
    const racing = async (each: Client): Promise<string> => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const result = await callTool(each, "start_job", startArguments("raced", "race-key-1"));
        if (!result.isError) return structured<{ job: { job_id: string } }>(result).job.job_id;
        expect(textOf(result)).toMatch(/being submitted right now/);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error("start_job kept answering that the key was being submitted");
    };
    const raced = await Promise.all(everywhere.map(racing));
    expect(new Set(raced).size).toBe(1);
    const posts = fake.servers.flatMap((server) => server.requestsTo("POST", "/v1/diarize")).map((request) => (request.json as { url: string }).url);
    expect(posts.filter((url) => url.endsWith("/retried.wav"))).toHaveLength(1);
    expect(posts.filter((url) => url.endsWith("/raced.wav"))).toHaveLength(1);
  });

  it("every vendor request of every replica took a slot of the window they share", async () => {
    const sent = fake.servers.flatMap((server) => server.requests.filter((request) => !request.path.startsWith("/upload")));
    const slots = await admin.query<{ count: string }>(
      "SELECT count(*) AS count FROM rate_window_slots WHERE bucket = 'pyannote' AND taken_at > (extract(epoch from clock_timestamp()) * 1000)::bigint - 120000",
    );
    expect(sent.length).toBeGreaterThan(3);
    expect(new Set(sent.map((request) => fake.servers.findIndex((server) => server.requests.includes(request)))).size).toBeGreaterThan(1);
    expect(Number(slots.rows[0]!.count)).toBe(sent.length);
    expect(vendorRequests("POST", "/v1/diarize").reduce((sum, count) => sum + count, 0)).toBe(fake.jobs.size);
  });
});

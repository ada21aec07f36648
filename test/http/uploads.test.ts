// Files from remote users over real HTTP: create_upload → one PUT → start_job {upload} with the
// local analyzer, on servers sharing one store (two with token A, like replicas, and one with
// token B, another user) — a SQLite data dir, and a PostgreSQL schema (each server with its own
// data dir, as replicas on separate machines). Second PUTs, oversized bodies, expired uploads
// and another user's upload ids are refused; nothing half-stored stays.

import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createDefaultApp } from "../../src/default-app.js";
import { startHttpServer, type RunningHttpServer } from "../../src/http-server.js";
import { createLogger } from "../../src/logger.js";
import { UPLOAD_FILES_ROOT } from "../../src/uploads/upload-service.js";
import { startInMemoryApp } from "../support/in-memory-app.js";
import { ScriptedAdapter } from "../support/scripted-adapter.js";

const TOKEN_A = "upload-token-a-0123456789";
const TOKEN_B = "upload-token-b-9876543210";
const SAMPLE = path.resolve(import.meta.dirname, "../../assets/sample/sample.ogg");
const dataDirs: string[] = [];
const running: Array<{ app: App; server: RunningHttpServer; client: Client }> = [];

afterEach(async () => {
  for (const { app, server, client } of running.splice(0)) {
    await client.close().catch(() => undefined);
    await server.close();
    await app.close();
  }
});
afterAll(() => {
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface Served {
  app: App;
  client: Client;
  origin: string;
}

function newDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-uploads-"));
  dataDirs.push(dir);
  return dir;
}

/** Where the servers of one test keep their jobs and uploads. */
interface Place {
  /** The env of one more server on this place. */
  env(): Record<string, string>;
  rows(): Promise<{ uploads: number; chunks: number }>;
  /** Whether `text` appears anywhere in the stored uploads. */
  holds(text: string): Promise<boolean>;
}

function sqlitePlace(): Place {
  const dataDir = newDataDir();
  const file = path.join(dataDir, "jobs.sqlite");
  return {
    env: () => ({ MEDIA_JOBS_DATA_DIR: dataDir }),
    async rows() {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
        return { uploads: count("uploads"), chunks: count("upload_chunks") };
      } finally {
        db.close();
      }
    },
    async holds(text) {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        return db.prepare("SELECT 1 FROM uploads WHERE instr(id || secret_hash || filename || owner, ?) > 0").get(text) !== undefined;
      } finally {
        db.close();
      }
    },
  };
}

const PG_SERVER = "postgres://postgres@127.0.0.1:5432";
const pgDatabase = `mjm_uploads_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
let pgAdmin: pg.Pool | undefined;
let pgSchemas = 0;

beforeAll(async () => {
  const root = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await root.connect();
  await root.query(`CREATE DATABASE ${pgDatabase}`);
  await root.end();
  pgAdmin = new pg.Pool({ connectionString: `${PG_SERVER}/${pgDatabase}`, max: 2 });
});

afterAll(async () => {
  await pgAdmin?.end();
  const root = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await root.connect();
  await root.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
  await root.end();
});

function postgresPlace(): Place {
  const schema = `uploads_${++pgSchemas}`;
  const count = async (table: string) => Number((await pgAdmin!.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.${table}`)).rows[0]!.n);
  return {
    env: () => ({ MEDIA_JOBS_DATA_DIR: newDataDir(), MEDIA_JOBS_DATABASE_URL: `${PG_SERVER}/${pgDatabase}?schema=${schema}` }),
    async rows() {
      return { uploads: await count("uploads"), chunks: await count("upload_chunks") };
    },
    async holds(text) {
      const found = await pgAdmin!.query(`SELECT 1 FROM ${schema}.uploads WHERE position($1 in id || secret_hash || filename || owner) > 0`, [text]);
      return (found.rowCount ?? 0) > 0;
    },
  };
}

async function serve(place: Place, token: string, env: Record<string, string> = {}): Promise<Served> {
  const config = loadConfig({ ...place.env(), MEDIA_JOBS_HTTP_TOKEN: token, MEDIA_JOBS_POLL_INITIAL_MS: "50", ...env }, { http: true, port: 0 });
  const app = await createDefaultApp(config, { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
  const server = await startHttpServer(app);
  const client = new Client({ name: "uploads", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  running.push({ app, server, client });
  return { app, client, origin: new URL(server.url).origin };
}

const textOf = (result: unknown) => (result as CallToolResult).content.map((item) => (item.type === "text" ? item.text : "")).join("\n");

interface Created {
  upload_id: string;
  url: string;
  method: string;
  expires_at: string;
  max_bytes: number;
}

async function createUpload(client: Client, filename = "sample.ogg"): Promise<Created> {
  const result = (await client.callTool({ name: "create_upload", arguments: { filename } })) as CallToolResult;
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as unknown as Created;
}

async function put(url: string, body: Buffer): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: "PUT", body, headers: { "content-type": "audio/ogg" } });
  return { status: response.status, body: await response.json() };
}

/** A PUT whose body streams in pieces without a Content-Length (chunked), as a client that does not know the size. */
function putChunked(url: string, pieces: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    let status: number | undefined;
    const request = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: "PUT", headers: { "transfer-encoding": "chunked" } }, (response) => {
      status = response.statusCode ?? 0;
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      response.on("end", () => resolve({ status: status!, body: text }));
    });
    // The server may close once it has answered: what it said is what counts.
    request.on("error", (error) => (status !== undefined ? resolve({ status, body: "" }) : reject(error)));
    const writeNext = (index: number) => {
      if (index === pieces.length) return void request.end();
      if (request.destroyed) return;
      request.write(pieces[index]!, () => setImmediate(() => writeNext(index + 1)));
    };
    writeNext(0);
  });
}

async function startJob(client: Client, media: unknown[], extra: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name: "start_job", arguments: { provider: "local", media, ...extra } }, undefined, { timeout: 60_000 })) as CallToolResult;
}

describe.each([
  ["SQLite", sqlitePlace],
  ["PostgreSQL", postgresPlace],
])("create_upload and {upload} over HTTP on %s", (_store, newPlace) => {
  it("takes a file in one PUT on one server, and analyses it from a start_job on another; the upload is used once, then cleaned up", async () => {
    const place = newPlace();
    const first = await serve(place, TOKEN_A);
    const second = await serve(place, TOKEN_A);
    const listed = await first.client.listTools();
    const startJobTool = listed.tools.find((tool) => tool.name === "start_job")!;
    expect(listed.tools.map((tool) => tool.name)).toContain("create_upload");
    expect(JSON.stringify(startJobTool.inputSchema)).toContain('"upload"');

    const created = await createUpload(first.client);
    expect(created.method).toBe("PUT");
    expect(created.url.startsWith(`${first.origin}/uploads/${created.upload_id}/`)).toBe(true);
    expect(created.max_bytes).toBe(512 * 1024 * 1024);
    expect(Date.parse(created.expires_at)).toBeGreaterThan(Date.now());
    const secret = created.url.split("/").pop()!;
    expect(secret.length).toBeGreaterThanOrEqual(40);

    const bytes = fs.readFileSync(SAMPLE);
    expect(await put(`${first.origin}/uploads/${created.upload_id}/wrong-secret-${secret.slice(13)}`, bytes)).toMatchObject({ status: 404 });
    expect(await put(created.url, bytes)).toMatchObject({ status: 200, body: { ok: true, bytes: bytes.length } });
    expect(await put(created.url, bytes)).toMatchObject({ status: 409, body: { error: expect.stringContaining("already used") } });
    // The secret itself is not in the store, only its hash.
    expect(await place.holds(secret)).toBe(false);
    expect(await place.holds(created.upload_id)).toBe(true);

    // The other server (same user) takes it: the bytes are in the shared store, not on a disk
    // (on PostgreSQL each server even has a data dir of its own).
    const started = await startJob(second.client, [{ upload: created.upload_id }], { wait_seconds: 40 });
    expect(started.isError, textOf(started)).toBeFalsy();
    const job = (started.structuredContent as { job: { job_id: string; status: string } }).job;
    expect(job.status).toBe("succeeded");
    const predictions = (await second.client.callTool({ name: "get_predictions", arguments: { job_id: job.job_id } })) as CallToolResult;
    expect(predictions.isError).toBeFalsy();
    expect(textOf(predictions)).toContain("sample.ogg");

    const again = await startJob(first.client, [{ upload: created.upload_id }]);
    expect(again.isError).toBe(true);
    expect(textOf(again)).toContain(`upload ${created.upload_id} was already used by a job ${job.job_id};`);

    // Once its job has settled, the sweep drops the upload, its chunks and its temporary file.
    await first.app.uploads.sweep();
    expect(await place.rows()).toEqual({ uploads: 0, chunks: 0 });
    expect(fs.existsSync(path.join(UPLOAD_FILES_ROOT, created.upload_id))).toBe(false);
  });

  it("gives a start_job retried with its idempotency_key the job its upload went to, on any server, before and after the upload is swept", async () => {
    const place = newPlace();
    const first = await serve(place, TOKEN_A);
    const second = await serve(place, TOKEN_A);
    const created = await createUpload(first.client);
    expect(await put(created.url, fs.readFileSync(SAMPLE))).toMatchObject({ status: 200 });

    const media = [{ upload: created.upload_id }];
    const started = await startJob(first.client, media, { idempotency_key: "retry-1" });
    expect(started.isError, textOf(started)).toBeFalsy();
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;

    // The answer was lost; the client asks again, landing on the other server.
    const retried = await startJob(second.client, media, { idempotency_key: "retry-1", wait_seconds: 40 });
    expect(retried.isError, textOf(retried)).toBeFalsy();
    expect(retried.structuredContent).toMatchObject({ deduplicated: true, job: { job_id: jobId, status: "succeeded" } });

    // Another key is another job: the upload is used once.
    const other = await startJob(second.client, media, { idempotency_key: "retry-2" });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toContain(`was already used by a job ${jobId};`);

    // Its job settled and the sweep dropped the upload: the key still finds its job.
    await first.app.uploads.sweep();
    expect(await place.rows()).toEqual({ uploads: 0, chunks: 0 });
    const late = await startJob(first.client, media, { idempotency_key: "retry-1" });
    expect(late.isError, textOf(late)).toBeFalsy();
    expect(late.structuredContent).toMatchObject({ deduplicated: true, job: { job_id: jobId } });
  });

  it("answers another user's upload id exactly as one that does not exist", async () => {
    const place = newPlace();
    const alice = await serve(place, TOKEN_A);
    const bob = await serve(place, TOKEN_B);
    const created = await createUpload(alice.client);
    expect((await put(created.url, fs.readFileSync(SAMPLE))).status).toBe(200);

    const stolen = await startJob(bob.client, [{ upload: created.upload_id }]);
    const missingId = `up_${"x".repeat(22)}`;
    const missing = await startJob(bob.client, [{ upload: missingId }]);
    expect(stolen.isError).toBe(true);
    expect(textOf(stolen)).toBe(textOf(missing).replace(missingId, created.upload_id));
    expect(textOf(stolen)).toContain("not found");

    // Bob's attempt did not use it up: Alice still can.
    const mine = await startJob(alice.client, [{ upload: created.upload_id }]);
    expect(mine.isError, textOf(mine)).toBeFalsy();
  });

  it("refuses a body over the limit with 413 — from its Content-Length, or while it streams — and keeps nothing of it", async () => {
    const place = newPlace();
    const served = await serve(place, TOKEN_A, { MEDIA_JOBS_MAX_UPLOAD_MB: "1" });
    const created = await createUpload(served.client);
    expect(created.max_bytes).toBe(1024 * 1024);

    const declared = await put(created.url, Buffer.alloc(2 * 1024 * 1024 + 1));
    expect(declared).toMatchObject({ status: 413, body: { error: expect.stringContaining("1 MiB") } });

    const streamed = await putChunked(created.url, Array.from({ length: 12 }, () => Buffer.alloc(256 * 1024, 7)));
    expect(streamed.status).toBe(413);
    expect(await place.rows()).toEqual({ uploads: 1, chunks: 0 });
    const unfinished = await startJob(served.client, [{ upload: created.upload_id }]);
    expect(textOf(unfinished)).toContain("is not finished: PUT the file to its URL first");

    // Nothing was taken, so the URL still takes a file that fits.
    expect(await put(created.url, fs.readFileSync(SAMPLE))).toMatchObject({ status: 200 });
  });

  it("refuses create_upload past a user's open uploads, saying when the oldest expires; a used one frees its place when its job settles; another user is apart", async () => {
    const place = newPlace();
    const alice = await serve(place, TOKEN_A, { MEDIA_JOBS_MAX_UPLOADS_PER_USER: "2" });
    const replica = await serve(place, TOKEN_A, { MEDIA_JOBS_MAX_UPLOADS_PER_USER: "2" });
    const bob = await serve(place, TOKEN_B, { MEDIA_JOBS_MAX_UPLOADS_PER_USER: "2" });
    const oldest = await createUpload(alice.client);
    await createUpload(replica.client);

    const refused = (await replica.client.callTool({ name: "create_upload", arguments: { filename: "third.ogg" } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain("2 open uploads");
    expect(textOf(refused)).toContain("MEDIA_JOBS_MAX_UPLOADS_PER_USER=2");
    expect(textOf(refused)).toContain(`the oldest unused one expires at ${oldest.expires_at}`);
    expect(textOf(refused)).toContain("used ones free up when their job settles");
    expect(await place.rows()).toMatchObject({ uploads: 2 });
    // Bob's quota is his own.
    await createUpload(bob.client);
    await createUpload(bob.client);

    // Used by a job: still open until that job settles, then its place is free again.
    expect((await put(oldest.url, fs.readFileSync(SAMPLE))).status).toBe(200);
    const started = await startJob(alice.client, [{ upload: oldest.upload_id }], { wait_seconds: 40 });
    expect((started.structuredContent as { job: { status: string } }).job.status).toBe("succeeded");
    await createUpload(alice.client);
    const full = (await alice.client.callTool({ name: "create_upload", arguments: { filename: "fourth.ogg" } })) as CallToolResult;
    expect(full.isError).toBe(true);
  });

  it("refuses with 413 a PUT that would take its user past the stored-bytes quota — declared or streamed, and of two racing — keeping nothing of it", async () => {
    const place = newPlace();
    const env = { MEDIA_JOBS_MAX_UPLOAD_STORAGE_MB_PER_USER: "1" };
    const alice = await serve(place, TOKEN_A, env);
    const replica = await serve(place, TOKEN_A, env);
    const bob = await serve(place, TOKEN_B, env);
    const sample = fs.readFileSync(SAMPLE);
    const kept = await createUpload(alice.client);
    expect((await put(kept.url, sample)).status).toBe(200);

    const declared = await createUpload(alice.client);
    const tooMuch = 1024 * 1024 - sample.length + 1;
    const refused = await put(declared.url, Buffer.alloc(tooMuch));
    expect(refused).toMatchObject({ status: 413, body: { error: expect.stringContaining("MEDIA_JOBS_MAX_UPLOAD_STORAGE_MB_PER_USER") } });
    expect(refused.body.error).toContain("past 1 MiB");
    expect(refused.body.error).toContain("nothing was kept");
    // Streamed without a size: refused when its first 1 MiB chunk would be stored; a smaller one, at its end.
    const streamed = await putChunked(declared.url, Array.from({ length: 8 }, () => Buffer.alloc(256 * 1024, 5)));
    expect(streamed.status).toBe(413);
    expect(streamed.body).toContain("MEDIA_JOBS_MAX_UPLOAD_STORAGE_MB_PER_USER");
    const endOnly = await putChunked(declared.url, Array.from({ length: 4 }, () => Buffer.alloc(tooMuch / 4 + 1, 5)));
    expect(endOnly.status).toBe(413);
    // Only the first file's bytes are stored; the refused URL still takes a file that fits.
    expect(await place.rows()).toEqual({ uploads: 2, chunks: 1 });
    expect(await put(declared.url, Buffer.alloc(1_000))).toMatchObject({ status: 200 });

    // Bob's bytes are his own.
    const bobs = await createUpload(bob.client);
    expect((await put(bobs.url, Buffer.alloc(1024 * 1024 - 10))).status).toBe(200);

    // Two PUTs of Alice at once on two servers, each fitting alone but not together: one is refused.
    const room = 1024 * 1024 - sample.length - 1_000;
    const [one, other] = [await createUpload(alice.client), await createUpload(replica.client)];
    const piece = Math.floor(room / 2) + 100;
    const raced = await Promise.all([
      putChunked(one.url, [Buffer.alloc(piece / 2), Buffer.alloc(piece / 2)]),
      putChunked(other.url, [Buffer.alloc(piece / 2), Buffer.alloc(piece / 2)]),
    ]);
    expect(raced.map((result) => result.status).sort()).toEqual([200, 413]);
    expect(await place.rows()).toEqual({ uploads: 5, chunks: 4 });
  });

  it("refuses a PUT after the URL expired, and an upload start_job comes to too late", async () => {
    const place = newPlace();
    const served = await serve(place, TOKEN_A, { MEDIA_JOBS_UPLOAD_EXPIRY_S: "1" });
    const late = await createUpload(served.client);
    const used = await createUpload(served.client);
    expect((await put(used.url, fs.readFileSync(SAMPLE))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    expect(await put(late.url, fs.readFileSync(SAMPLE))).toMatchObject({ status: 410, body: { error: expect.stringContaining("expired") } });
    const expired = await startJob(served.client, [{ upload: used.upload_id }]);
    expect(expired.isError).toBe(true);
    expect(textOf(expired)).toContain(`upload ${used.upload_id} expired at`);

    // Expired and unused: the sweep drops both.
    await served.app.uploads.sweep();
    expect(await place.rows()).toEqual({ uploads: 0, chunks: 0 });
  });
});

describe("over stdio", () => {
  it("offers no create_upload and refuses {upload}, pointing to {path}", async () => {
    const running = await startInMemoryApp([new ScriptedAdapter({ id: "local" })]);
    try {
      const { tools } = await running.client.listTools();
      expect(tools.map((tool) => tool.name)).not.toContain("create_upload");
      expect(JSON.stringify(tools.find((tool) => tool.name === "start_job")!.inputSchema)).not.toContain('"upload"');
      const result = (await running.client.callTool({ name: "start_job", arguments: { provider: "local", task: "diarize", media: [{ upload: `up_${"a".repeat(22)}` }] } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("{upload} is for HTTP mode (create_upload); here give the file as {path}");
    } finally {
      await running.close();
    }
  });
});

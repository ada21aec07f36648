// Hostile input over HTTP: malformed and oversized messages, duplicate Host headers, session
// floods, webhook floods. Each case is something an outside attack run did to the server.

import http from "node:http";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assembleApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startHttpServer, type RunningHttpServer } from "../../src/http-server.js";
import { createDefaultApp } from "../../src/default-app.js";
import { createLogger } from "../../src/logger.js";
import { ScriptedAdapter } from "../support/scripted-adapter.js";
import { startHumeFake } from "../fakes/hume-fake.js";

let app: App | undefined;
let server: RunningHttpServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  await app?.close();
  server = undefined;
  app = undefined;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}, options: Parameters<typeof startHttpServer>[1] = {}): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-http-hostile-"));
  dirs.push(dataDir);
  const config = loadConfig({ MEDIA_JOBS_DATA_DIR: dataDir, ...env }, { http: true, port: 0 });
  app = await assembleApp(config, () => [new ScriptedAdapter()], { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
  server = await startHttpServer(app, options);
  return server.url;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function post(url: string, headers: Record<string, string>, body: string | Buffer, requestPath?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: requestPath ?? target.pathname,
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

async function openSession(url: string, headers: Record<string, string> = {}): Promise<Record<string, string>> {
  const initialized = await post(url, headers, initialize);
  expect(initialized.status).toBe(200);
  return { ...headers, "mcp-session-id": String(initialized.headers["mcp-session-id"]), "mcp-protocol-version": "2025-06-18" };
}

describe("malformed and oversized messages over HTTP", () => {
  it("answers a malformed request with its id and a JSON-RPC error code, and keeps the session", async () => {
    const url = await start();
    const session = await openSession(url);
    const cases: Array<[string, number]> = [
      [JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping", params: { _meta: { progressToken: {} } } }), -32602],
      [JSON.stringify({ jsonrpc: "2.0", id: 8, method: "nope", params: [] }), -32602],
      [JSON.stringify({ jsonrpc: "1.0", id: 9, method: "ping" }), -32600],
      [`{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"get_job","arguments":{"job_id":${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}}}}`, -32602],
    ];
    for (const [body, code] of cases) {
      const answered = await post(url, session, body);
      expect(answered.status, body.slice(0, 80)).toBe(400);
      const reply = JSON.parse(answered.body) as { id: number; error: { code: number } };
      expect(reply.error.code, body.slice(0, 80)).toBe(code);
      expect(reply.id).toBe(JSON.parse(body.length < 1_000 ? body : '{"id":10}').id);
    }
    const served = await post(url, session, JSON.stringify({ jsonrpc: "2.0", id: 11, method: "ping" }));
    expect(served.status).toBe(200);
  });

  it("refuses a body over 4 MiB with a 413 that names the limit, and keeps serving", async () => {
    const url = await start();
    const session = await openSession(url);
    const huge = JSON.stringify({ jsonrpc: "2.0", id: 12, method: "tools/call", params: { name: "get_job", arguments: { job_id: "\u0000".repeat(1_000_000) } } });
    expect(huge.length).toBeGreaterThan(4 * 1024 * 1024);
    const refused = await post(url, session, huge);
    expect(refused.status).toBe(413);
    expect(refused.body).toContain("4 MiB");
    const served = await post(url, session, JSON.stringify({ jsonrpc: "2.0", id: 13, method: "ping" }));
    expect(served.status).toBe(200);
  });
});

/** Sends raw bytes and returns the status line's code (0 if the server closed without one). */
function rawRequest(url: string, text: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const socket = net.connect(Number(target.port), target.hostname, () => socket.write(text));
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
      if (/\r\n\r\n/.test(received)) socket.end();
    });
    socket.on("close", () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0), text: received }));
    socket.on("error", reject);
  });
}

describe("duplicate Host headers", () => {
  it("refuses a request with two Host headers, whichever comes first", async () => {
    const url = await start();
    const port = new URL(url).port;
    const request = (hosts: string[]) =>
      `POST /mcp HTTP/1.1\r\n${hosts.map((host) => `Host: ${host}\r\n`).join("")}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(initialize)}\r\nConnection: close\r\n\r\n${initialize}`;
    expect((await rawRequest(url, request([`127.0.0.1:${port}`]))).status).toBe(200);
    const allowedFirst = await rawRequest(url, request([`127.0.0.1:${port}`, "evil.example"]));
    expect(allowedFirst.status).toBe(400);
    expect(allowedFirst.text).toContain("more than one Host header");
    expect((await rawRequest(url, request(["evil.example", `127.0.0.1:${port}`]))).status).toBe(400);
  });
});

describe("session caps", () => {
  const ping = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, method: "ping" });

  it("closes the least recently used idle session when the cap is reached, and refuses when none is idle", async () => {
    const url = await start({ MEDIA_JOBS_HTTP_MAX_SESSIONS: "3" });
    const a = await openSession(url);
    const b = await openSession(url);
    const c = await openSession(url);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await post(url, a, ping(2))).status).toBe(200);
    const d = await openSession(url);
    // b was the least recently used: closed to make room; the others still serve.
    expect((await post(url, b, ping(3))).status).toBe(404);
    for (const session of [a, c, d]) expect((await post(url, session, ping(4))).status).toBe(200);

    // Sessions with an open stream are in use: never closed for room; a fourth is refused.
    const streams = [a, c, d].map(
      (session) =>
        new Promise<http.ClientRequest>((resolve) => {
          const target = new URL(url);
          const request = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: "GET", headers: { ...session, accept: "text/event-stream" } }, () => resolve(request));
          request.end();
        }),
    );
    const open = await Promise.all(streams);
    const refused = await post(url, {}, initialize);
    expect(refused.status).toBe(503);
    expect(refused.body).toContain("Too many open sessions");
    for (const request of open) request.destroy();
  });

  it("caps sessions per client too", async () => {
    const url = await start({ MEDIA_JOBS_HTTP_TOKEN: "cap-token-0123", MEDIA_JOBS_HTTP_MAX_SESSIONS_PER_CLIENT: "2" });
    const auth = { authorization: "Bearer cap-token-0123" };
    const first = await openSession(url, auth);
    await openSession(url, auth);
    await openSession(url, auth);
    expect((await post(url, first, ping(5))).status).toBe(404);
  });
});

describe("webhook intake", () => {
  const PYANNOTE_SECRET = "whsec-hostile-0123456789";
  let logLines: string[] = [];

  async function startWithVendors(): Promise<string> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-http-hooks-"));
    dirs.push(dataDir);
    const config = loadConfig(
      {
        MEDIA_JOBS_DATA_DIR: dataDir,
        PYANNOTEAI_API_KEY: "pk-hostile-000",
        PYANNOTEAI_WEBHOOK_SECRET: PYANNOTE_SECRET,
        HUMANSTANDARD_API_KEY: "hs-hostile-000",
        HUMANSTANDARD_WEBHOOK_SECRET: "hs-secret-0123456789",
        HUME_API_KEY: "hume-hostile-000",
      },
      { http: true, port: 0 },
    );
    logLines = [];
    app = await createDefaultApp(config, { logger: createLogger({ level: "info", secrets: [], write: (line) => logLines.push(line) }) });
    server = await startHttpServer(app);
    return server.url;
  }

  const forgedHeaders = () => ({ "x-signature": "a".repeat(64), "x-request-timestamp": String(Math.floor(Date.now() / 1000)) });

  /** Streams `totalBytes` of body (chunked unless declared) until the server answers. */
  function stream(url: string, requestPath: string, headers: Record<string, string>, totalBytes: number, declare: boolean): Promise<number> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      let answered = false;
      const request = http.request(
        { host: target.hostname, port: target.port, path: requestPath, method: "POST", headers: { "content-type": "application/json", ...(declare ? { "content-length": String(totalBytes) } : {}), ...headers } },
        (response) => {
          answered = true;
          response.resume();
          resolve(response.statusCode ?? 0);
          request.destroy();
        },
      );
      request.on("error", (error) => {
        if (!answered) reject(error);
      });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (!answered && sent < totalBytes) {
          sent += chunk.length;
          if (!request.write(chunk)) return void request.once("drain", pump);
        }
        if (!answered) request.end();
      };
      pump();
    });
  }

  it("refuses a delivery whose signature headers are missing or malformed before reading its body", async () => {
    const url = await startWithVendors();
    const port = new URL(url).port;
    const unsigned = (vendor: string, extra = "") =>
      rawRequest(url, `POST /webhooks/${vendor} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 15000000\r\n${extra}\r\n{"jobId":"x",`);
    // Only 13 bytes of a declared 15 MB are ever sent: an answer means the body was not awaited.
    expect((await unsigned("pyannote")).status).toBe(401);
    expect((await unsigned("pyannote", "X-Signature: not-hex\r\nX-Request-Timestamp: 1\r\n")).status).toBe(401);
    expect((await unsigned("humanstandard", "X-HS-Signature: md5=abc\r\n")).status).toBe(401);
  });

  it("answers an oversized body with 413, declared or streamed, not a reset", async () => {
    const url = await startWithVendors();
    const target = new URL(url);
    const base = `http://${target.host}`;
    expect(await stream(base, "/webhooks/pyannote", forgedHeaders(), 100 * 1024 * 1024, true)).toBe(413);
    // Hume signs nothing: its limit is counted while streaming.
    expect(await stream(base, "/webhooks/hume", {}, 40 * 1024 * 1024, false)).toBe(413);
    expect((await post(url, {}, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }))).status).toBe(400);
  });

  it("writes a handful of lines for a flood of forged deliveries, not one per request", async () => {
    const url = await startWithVendors();
    const target = new URL(url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const send = () =>
      new Promise<number>((resolve, reject) => {
        const request = http.request(
          { agent, host: target.hostname, port: target.port, path: "/webhooks/pyannote", method: "POST", headers: { "content-type": "application/json", ...forgedHeaders() } },
          (response) => {
            response.resume();
            response.on("end", () => resolve(response.statusCode ?? 0));
          },
        );
        request.on("error", reject);
        request.end('{"jobId":"forged","status":"succeeded"}');
      });
    const statuses: number[] = [];
    for (let batch = 0; batch < 50; batch++) statuses.push(...(await Promise.all(Array.from({ length: 20 }, send))));
    agent.destroy();
    expect(statuses.filter((status) => status === 401)).toHaveLength(1_000);
    const rejected = logLines.filter((line) => line.includes("rejected pyannote webhook"));
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.length).toBeLessThanOrEqual(5);
  });
});

describe("unsigned callbacks", () => {
  it("a flood of 1,000 Hume callbacks for a running job costs a bounded handful of vendor GETs", async () => {
    const fake = await startHumeFake({ queuedPolls: 1_000_000 });
    try {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-http-hume-"));
      dirs.push(dataDir);
      const config = loadConfig(
        { MEDIA_JOBS_DATA_DIR: dataDir, HUME_API_KEY: fake.apiKey, HUME_BASE_URL: fake.baseUrl, MEDIA_JOBS_POLL_INITIAL_MS: "1000", MEDIA_JOBS_POLL_MAX_MS: "60000" },
        { http: true, port: 0 },
      );
      app = await createDefaultApp(config, { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
      server = await startHttpServer(app);
      app.poller.start();
      const { job } = await app.jobs.start({ provider: "hume", media: [{ kind: "url", url: "https://example.com/talk.mp4" }], options: {} });
      const vendorGets = () => fake.server.requests.filter((request) => request.method === "GET" && request.path === `/v0/batch/jobs/${job.nativeId}`).length;

      const target = new URL(server.url);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const callback = fake.callbackBody(job.nativeId);
      const send = () =>
        new Promise<number>((resolve, reject) => {
          const request = http.request({ agent, host: target.hostname, port: target.port, path: "/webhooks/hume", method: "POST", headers: { "content-type": "application/json" } }, (response) => {
            response.resume();
            response.on("end", () => resolve(response.statusCode ?? 0));
          });
          request.on("error", reject);
          request.end(callback);
        });
      const started = Date.now();
      const statuses: number[] = [];
      for (let batch = 0; batch < 50; batch++) statuses.push(...(await Promise.all(Array.from({ length: 20 }, send))));
      agent.destroy();
      expect(statuses.every((status) => status === 200)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const elapsedS = (Date.now() - started) / 1000;
      // The first callback brings a poll forward; the rest wait for the brisk cadence (1 s,
      // growing): a few GETs over the flood, where one GET per callback made 1,000.
      expect(vendorGets()).toBeGreaterThanOrEqual(1);
      expect(vendorGets()).toBeLessThanOrEqual(Math.ceil(elapsedS) + 2);
    } finally {
      await fake.close();
    }
  });
});

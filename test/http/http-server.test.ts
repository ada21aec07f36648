import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { assembleApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startHttpServer, type RunningHttpServer } from "../../src/http-server.js";
import { createLogger } from "../../src/logger.js";
import { ScriptedAdapter } from "../support/scripted-adapter.js";

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

async function start(env: Record<string, string> = {}, flags: { host?: string } = {}, timing: { sessionIdleMs?: number; sweepEveryMs?: number } = {}): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-http-"));
  dirs.push(dataDir);
  const config = loadConfig({ MEDIA_JOBS_DATA_DIR: dataDir, ...env }, { http: true, port: 0, host: flags.host });
  app = await assembleApp(config, () => [new ScriptedAdapter()], { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
  server = await startHttpServer(app, timing);
  return server.url;
}

function rawPost(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers } },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on("error", reject);
    request.end(JSON.stringify(body));
  });
}

function rawRequest(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = http.request({ host: target.hostname, port: target.port, path: target.pathname, method, headers }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on("error", reject);
    request.end();
  });
}

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

describe("Streamable HTTP transport", () => {
  it("serves MCP at /mcp on loopback with a fresh server per session", async () => {
    const url = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const first = new Client({ name: "a", version: "1" });
    const firstTransport = new StreamableHTTPClientTransport(new URL(url));
    await first.connect(firstTransport);
    const second = new Client({ name: "b", version: "1" });
    const secondTransport = new StreamableHTTPClientTransport(new URL(url));
    await second.connect(secondTransport);
    expect(firstTransport.sessionId).toBeTruthy();
    expect(secondTransport.sessionId).not.toBe(firstTransport.sessionId);
    // Each session has its own server: closing the first leaves the second working.
    expect((await first.listTools()).tools.length).toBeGreaterThan(5);
    const started = await first.callTool({ name: "start_job", arguments: { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }] } });
    expect(started.isError).toBeFalsy();
    const listed = await second.callTool({ name: "list_jobs", arguments: {} });
    expect((listed.structuredContent as { jobs: unknown[] }).jobs).toHaveLength(1);
    await first.close();
    expect((await second.listTools()).tools.length).toBeGreaterThan(5);
    await second.close();
  });

  it("rejects a foreign Host or Origin with 403 (DNS rebinding)", async () => {
    const url = await start();
    const port = new URL(url).port;
    expect((await rawPost(url, { host: `evil.example:${port}` }, initialize)).status).toBe(403);
    expect((await rawPost(url, { origin: "https://evil.example" }, initialize)).status).toBe(403);
    expect((await rawPost(url, { origin: `http://localhost:${port}` }, initialize)).status).toBe(200);
  });

  it("requires the bearer token when one is configured", async () => {
    const url = await start({ MEDIA_JOBS_HTTP_TOKEN: "s3cret-token-value" });
    const refused = await rawPost(url, {}, initialize);
    expect(refused.status).toBe(401);
    expect(refused.body).not.toContain("s3cret-token-value");
    expect((await rawPost(url, { authorization: "Bearer wrong" }, initialize)).status).toBe(401);
    expect((await rawPost(url, { authorization: "Bearer s3cret-token-value" }, initialize)).status).toBe(200);
  });

  it("refuses to bind a non-loopback address without a token", async () => {
    await expect(start({}, { host: "0.0.0.0" })).rejects.toThrow(/MEDIA_JOBS_HTTP_TOKEN/);
  });

  it("closes a session abandoned without DELETE once it has been idle too long", async () => {
    // Idle limit well above the time one request takes on a loaded machine (150 ms was not).
    const url = await start({}, {}, { sessionIdleMs: 1_500, sweepEveryMs: 100 });
    const initialized = await rawPost(url, {}, initialize);
    expect(initialized.status).toBe(200);
    const listTools = { jsonrpc: "2.0", id: 5, method: "tools/list" };
    const sessionId = await new Promise<string>((resolve, reject) => {
      const target = new URL(url);
      const request = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" } },
        (response) => {
          response.resume();
          resolve(String(response.headers["mcp-session-id"]));
        },
      );
      request.on("error", reject);
      request.end(JSON.stringify(initialize));
    });
    expect((await rawPost(url, { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" }, listTools)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const expired = await rawPost(url, { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" }, listTools);
    expect(expired.status).toBe(404);
  });

  it("answers a 2026-07-28 client's server/discover probe as an initialize-era server, so it falls back at once", async () => {
    const url = await start();
    const probe = { jsonrpc: "2.0", id: 7, method: "server/discover", params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } } };
    const answer = await rawPost(url, { "mcp-protocol-version": "2026-07-28", "mcp-method": "server/discover" }, probe);
    // 400 with a body that is not a modern protocol error (-32020…-32022): the spec's signal to
    // fall back to initialize; Method not found is what strict dual-era clients require.
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32601 } });
    expect(JSON.parse(answer.body).error.message).toMatch(/initialize/);
    // Such clients open the GET stream before initializing: no session means no stream, said
    // with 405 (skipped quietly by clients), not 400 (reported as an error).
    const stream = await rawRequest(url, "GET", { accept: "text/event-stream", "mcp-protocol-version": "2025-11-25" });
    expect(stream.status).toBe(405);
    // The fallback then works on the same server.
    const initialized = await rawPost(url, {}, initialize);
    expect(initialized.status).toBe(200);
  });

  it("answers requests without a session that are not initialize with 400", async () => {
    const url = await start();
    const response = await rawPost(url, {}, { jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect(response.status).toBe(400);
  });
});

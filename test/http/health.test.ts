// /health (alive) and /ready (the job store answers) without a token, in static-token mode.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assembleApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { startHttpServer, type RunningHttpServer } from "../../src/http-server.js";
import { createLogger } from "../../src/logger.js";
import { ScriptedAdapter } from "../support/scripted-adapter.js";

let app: App | undefined;
let server: RunningHttpServer | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await server?.close();
  await app?.close().catch(() => undefined);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  server = app = dataDir = undefined;
});

async function start(): Promise<string> {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-health-"));
  const config = loadConfig({ MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_HTTP_TOKEN: "health-token-93a1" }, { http: true, port: 0 });
  app = await assembleApp(config, () => [new ScriptedAdapter()], { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
  server = await startHttpServer(app);
  return server.url;
}

async function get(url: string, pathname: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(new URL(pathname, url));
  return { status: response.status, body: await response.json() };
}

describe("health and readiness", () => {
  it("answers both without a token, and /ready turns 503 when the store stops answering while /health stays 200", async () => {
    const url = await start();
    expect(await get(url, "/health")).toMatchObject({ status: 200, body: { ok: true } });
    expect(await get(url, "/ready")).toEqual({ status: 200, body: { ready: true } });
    expect((await fetch(url, { method: "POST", body: "{}" })).status).toBe(401);

    await app!.store.close();
    expect(await get(url, "/ready")).toEqual({ status: 503, body: { ready: false, reason: "job store unreachable" } });
    expect(await get(url, "/health")).toMatchObject({ status: 200, body: { ok: true } });
  });

  it("refuses new connections once a drain began, and the drain ends at once with nothing in flight", async () => {
    const url = await start();
    expect(await server!.drain(10_000)).toBe(0);
    await expect(fetch(new URL("/ready", url))).rejects.toThrow();
  });
});

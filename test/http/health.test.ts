// /health (alive) and /ready (the job store answers) without a token, in static-token mode; on
// PostgreSQL, /ready follows the database going away and coming back.

import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
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

async function start(env: Record<string, string> = {}): Promise<string> {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-health-"));
  const config = loadConfig({ MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_HTTP_TOKEN: "health-token-93a1", ...env }, { http: true, port: 0 });
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

describe("readiness on PostgreSQL", () => {
  const SERVER = "postgres://postgres@127.0.0.1:5432";

  async function asRoot<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const root = new pg.Client({ connectionString: `${SERVER}/postgres` });
    await root.connect();
    try {
      return await work(root);
    } finally {
      await root.end();
    }
  }

  it("is 503 while the database refuses connections and 200 again once it takes them, while /health stays 200", async () => {
    const database = `mjm_ready_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
    await asRoot((root) => root.query(`CREATE DATABASE ${database}`));
    try {
      const url = await start({ MEDIA_JOBS_DATABASE_URL: `${SERVER}/${database}` });
      expect(await get(url, "/ready")).toEqual({ status: 200, body: { ready: true } });

      // The database goes away: no new connections, the open ones cut.
      await asRoot(async (root) => {
        await root.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS false`);
        await root.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [database]);
      });
      expect(await get(url, "/ready")).toEqual({ status: 503, body: { ready: false, reason: "job store unreachable" } });
      expect(await get(url, "/health")).toMatchObject({ status: 200, body: { ok: true } });

      await asRoot((root) => root.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`));
      expect(await get(url, "/ready")).toEqual({ status: 200, body: { ready: true } });
    } finally {
      await server?.close();
      await app?.close().catch(() => undefined);
      server = app = undefined;
      await asRoot(async (root) => {
        await root.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
        await root.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      });
    }
  });
});

// A 2026-07-28 client probes a stdio server with server/discover and falls back to initialize
// on Method not found or when its short wait (the AI SDK: 1 s) runs out. An answer after that
// reaches it as a response to a forgotten request, which it reports as an error.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { assembleApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { buildServer } from "../../src/server.js";
import { ScriptedAdapter } from "../support/scripted-adapter.js";

let app: App | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await app?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  app = undefined;
});

async function stdioSession(uptimeMs: number) {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-probe-"));
  app = await assembleApp(loadConfig({ MEDIA_JOBS_DATA_DIR: dataDir }), () => [new ScriptedAdapter()], { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
  const built = buildServer(app, { transport: "stdio", uptimeMs: () => uptimeMs });
  const [client, server] = InMemoryTransport.createLinkedPair();
  const received: JSONRPCMessage[] = [];
  client.onmessage = (message) => void received.push(message);
  await built.server.connect(server);
  await client.start();
  const answerTo = async (id: number, withinMs: number) => {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      const found = received.find((message) => "id" in message && message.id === id);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return undefined;
  };
  return { send: (message: JSONRPCMessage) => client.send(message), answerTo };
}

const probe: JSONRPCMessage = { jsonrpc: "2.0", id: 0, method: "server/discover", params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } } };
const initialize: JSONRPCMessage = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } };

describe("stdio server/discover probe", () => {
  it("is answered at once with Method not found while the probe is fresh, and initialize follows", async () => {
    const session = await stdioSession(150);
    await session.send(probe);
    expect(await session.answerTo(0, 2_000)).toMatchObject({ id: 0, error: { code: -32601 } });
    await session.send(initialize);
    expect(await session.answerTo(1, 2_000)).toMatchObject({ id: 1, result: { protocolVersion: "2025-11-25" } });
  });

  it("is left unanswered once the process has been up longer than such a client waits; initialize still works", async () => {
    const session = await stdioSession(5_000);
    await session.send(probe);
    await session.send(initialize);
    expect(await session.answerTo(1, 2_000)).toMatchObject({ id: 1, result: { protocolVersion: "2025-11-25" } });
    expect(await session.answerTo(0, 200)).toBeUndefined();
  });
});

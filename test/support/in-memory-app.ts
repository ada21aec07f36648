// Builds an app around given adapters and connects a real MCP SDK Client to it in memory.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { assembleApp, type App } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import type { ProviderAdapter } from "../../src/providers/provider.js";
import { buildServer } from "../../src/server.js";

export interface InMemoryApp {
  app: App;
  client: Client;
  dataDir: string;
  logs: string[];
  close(): Promise<void>;
}

export async function startInMemoryApp(
  adapters: ProviderAdapter[],
  options: {
    env?: Record<string, string>;
    clientCapabilities?: Record<string, unknown>;
    startPoller?: boolean;
    /** The transport the session is built for (the tools offered differ); stdio by default. */
    transport?: "stdio" | "http";
    /** Sees every message the server sends, as it goes onto the transport. */
    onServerMessage?: (message: JSONRPCMessage) => void;
  } = {},
): Promise<InMemoryApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-app-"));
  const config: Config = loadConfig({
    MEDIA_JOBS_DATA_DIR: dataDir,
    MEDIA_JOBS_POLL_INITIAL_MS: "20",
    MEDIA_JOBS_POLL_MAX_MS: "100",
    ...options.env,
  });
  const logs: string[] = [];
  const logger = createLogger({ level: "debug", secrets: [], write: (line) => logs.push(line) });
  const app = await assembleApp(config, () => adapters, { logger });
  if (options.startPoller !== false) app.poller.start();
  const built = buildServer(app, { transport: options.transport ?? "stdio" });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  if (options.onServerMessage) {
    const send = serverTransport.send.bind(serverTransport);
    const observe = options.onServerMessage;
    serverTransport.send = (message, sendOptions) => {
      observe(message);
      return send(message, sendOptions);
    };
  }
  await built.server.connect(serverTransport);
  const client = new Client({ name: "test-client", version: "1.0.0" }, { capabilities: options.clientCapabilities ?? {} });
  await client.connect(clientTransport);
  return {
    app,
    client,
    dataDir,
    logs,
    async close() {
      await client.close();
      built.close();
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.find((item) => item.type === "text")?.text ?? "";
}

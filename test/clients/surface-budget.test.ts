// What the surface costs before any work (tokens = UTF-8 bytes of the JSON / 4): tools/list
// with every input and output schema ≤ 1,500 tokens, list_providers {} ≤ 600 — with every
// vendor configured and with none — while the texts still name what a model needs to call.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { loadConfig } from "../../src/config.js";
import { createDefaultApp } from "../../src/default-app.js";
import { createLogger } from "../../src/logger.js";
import { buildServer } from "../../src/server.js";
import type { App } from "../../src/app.js";

const ALL_KEYS = {
  HUME_API_KEY: "hume-key-0123456789",
  PYANNOTEAI_API_KEY: "pyannote-key-0123456789",
  HAMSA_API_KEY: "hamsa-key-0123456789",
  HAMSA_PROJECT_ID: "project-1",
  HUMANSTANDARD_API_KEY: "humanstandard-key-0123456789",
};
const KEY_VARIABLES = ["HUME_API_KEY", "PYANNOTEAI_API_KEY", "HAMSA_API_KEY", "HUMANSTANDARD_API_KEY"];

let open: { app: App; client: Client; dataDir: string } | undefined;
afterEach(async () => {
  if (!open) return;
  await open.client.close();
  await open.app.close();
  fs.rmSync(open.dataDir, { recursive: true, force: true });
  open = undefined;
});

async function connect(env: Record<string, string>, transport: "stdio" | "http" = "stdio"): Promise<Client> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-budget-"));
  const app = await createDefaultApp(loadConfig({ MEDIA_JOBS_DATA_DIR: dataDir, ...env }), { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
  const built = buildServer(app, { transport });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await built.server.connect(serverTransport);
  const client = new Client({ name: "budget", version: "1" });
  await client.connect(clientTransport);
  open = { app, client, dataDir };
  return client;
}

const tokens = (value: unknown) => Math.ceil(Buffer.byteLength(JSON.stringify(value), "utf8") / 4);
const textOf = (result: CallToolResult) => result.content.map((item) => (item.type === "text" ? item.text : "")).join("\n");

describe.each([
  ["every vendor configured", ALL_KEYS],
  ["no vendor configured", {}],
])("with %s", (_label, env) => {
  it("tools/list, with every input and output schema, is at most 1,500 tokens", async () => {
    const client = await connect(env);
    const listed = await client.listTools();
    expect(listed.tools.every((tool) => tool.outputSchema !== undefined)).toBe(true);
    expect(tokens(listed)).toBeLessThanOrEqual(1_500);
  });

  it("list_providers {} is at most 600 tokens: configured providers in full, the others one line with the variable to set", async () => {
    const client = await connect(env);
    const result = (await client.callTool({ name: "list_providers", arguments: {} })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(tokens(result)).toBeLessThanOrEqual(600);
    const text = textOf(result);
    const configured = Object.keys(env).length > 0;
    for (const variable of KEY_VARIABLES) {
      const line = text.split("\n").find((entry) => entry.includes(variable));
      if (configured) expect(line).toBeUndefined();
      else expect(line, variable).toBeDefined();
    }
    // Every configured provider shows every task with its inputs, options and views.
    const full = configured ? ["local", "pyannote", "hume", "hamsa", "humanstandard"] : ["local"];
    for (const provider of full) expect(text).toMatch(new RegExp(`^${provider}\\b.*ready`, "m"));
    expect(text).toMatch(/acoustic.*inputs path, url.*views/);
    if (configured) {
      for (const task of ["diarize", "voiceprint", "identify", "expression", "transcribe", "provenance"]) expect(text).toMatch(new RegExp(`\\b${task}\\b.*inputs`));
      for (const option of ["num_speakers", "voiceprints", "models.face", "return_srt", "manifest_url", "vad_sensitivity"]) expect(text).toContain(option);
    }
  });

  it("list_providers {provider} still gives one provider's option details", async () => {
    const client = await connect(env);
    const result = (await client.callTool({ name: "list_providers", arguments: { provider: "local" } })) as CallToolResult;
    expect(textOf(result)).toMatch(/vad_sensitivity: 0 \(only clear speech\)/);
  });
});

describe("over HTTP", () => {
  it("tools/list adds create_upload and start_job's {upload} for at most 200 tokens more (≤ 1,700), and says how an upload is used", async () => {
    const client = await connect(ALL_KEYS, "http");
    const listed = await client.listTools();
    expect(tokens(listed)).toBeLessThanOrEqual(1_700);
    const tools = new Map<string, Tool>(listed.tools.map((tool) => [tool.name, tool]));
    const media = (tools.get("start_job")!.inputSchema.properties!.media as { items: { properties: Record<string, unknown> } }).items.properties;
    expect(Object.keys(media).sort()).toEqual(["id", "path", "text", "upload", "url"]);
    expect(JSON.stringify(media.upload)).toContain("create_upload");
    expect(tools.get("create_upload")!.description).toMatch(/PUT[\s\S]*start_job[\s\S]*upload/);
  });
});

describe("what the short texts must still say", () => {
  it("names every accepted input form, every provider, and the next call", async () => {
    const client = await connect({});
    const tools = new Map<string, Tool>((await client.listTools()).tools.map((tool) => [tool.name, tool]));
    const said = (name: string) => JSON.stringify({ description: tools.get(name)!.description, input: tools.get(name)!.inputSchema });
    const media = (tools.get("start_job")!.inputSchema.properties!.media as { items: { properties: Record<string, unknown> } }).items.properties;
    expect(Object.keys(media).sort()).toEqual(["id", "path", "text", "url"]);
    for (const form of ["url", "path", "text", "id"]) expect(JSON.stringify(media[form])).toMatch(/description/);
    for (const provider of ["local", "pyannote", "hume", "hamsa", "humanstandard"]) expect(said("start_job")).toContain(provider);
    expect(said("start_job")).toMatch(/list_providers/);
    expect(said("start_job")).toMatch(/get_job/);
    expect(said("start_job")).toMatch(/idempotency_key/);
    expect(said("get_job")).toMatch(/wait_seconds/);
    expect(said("get_job")).toMatch(/get_predictions/);
    expect(said("get_predictions")).toMatch(/next_cursor/);
    expect(said("get_predictions")).toMatch(/max_tokens/);
    for (const filter of ["view", "file", "model", "speaker", "start_s", "end_s", "top_k", "query", "verdict", "origin", "cursor"]) {
      expect(Object.keys(tools.get("get_predictions")!.inputSchema.properties!)).toContain(filter);
    }
    expect(said("list_jobs")).toMatch(/remote/);
    expect(said("list_providers")).toMatch(/start_job/);
  });
});

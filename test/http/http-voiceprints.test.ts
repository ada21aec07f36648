// Voiceprints belong to their owner, like jobs: when the HTTP token of a data dir changes,
// the new token can neither see, use nor delete the old token's voiceprints.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createDefaultApp } from "../../src/default-app.js";
import { principalOf, startHttpServer, type RunningHttpServer } from "../../src/http-server.js";
import { createLogger } from "../../src/logger.js";

const TOKEN_A = "token-a-0123456789";
const TOKEN_B = "token-b-9876543210";
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-voiceprints-"));
const running: Array<{ app: App; server: RunningHttpServer; client: Client }> = [];
afterEach(async () => {
  for (const { app, server, client } of running.splice(0)) {
    await client.close().catch(() => undefined);
    await server.close();
    await app.close();
  }
});

function appWithToken(token: string): Promise<App> {
  const config = loadConfig(
    { MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_HTTP_TOKEN: token, PYANNOTEAI_API_KEY: "pk-test-key-000", PYANNOTEAI_BASE_URL: "http://127.0.0.1:9" },
    { http: true, port: 0 },
  );
  return createDefaultApp(config, { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
}

async function serve(token: string): Promise<Client> {
  const app = await appWithToken(token);
  const server = await startHttpServer(app);
  const client = new Client({ name: "voiceprints", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  running.push({ app, server, client });
  return client;
}

async function stop(): Promise<void> {
  const { app, server, client } = running.pop()!;
  await client.close();
  await server.close();
  await app.close();
}

const text = (result: unknown) => (result as CallToolResult).content.map((item) => (item.type === "text" ? item.text : "")).join("\n");

async function labels(client: Client): Promise<string[]> {
  const read = await client.readResource({ uri: "media-jobs://voiceprints" });
  return (JSON.parse((read.contents[0] as { text: string }).text) as Array<{ label: string }>).map((entry) => entry.label);
}

describe("voiceprints over HTTP are scoped to their token", () => {
  it("hides, refuses to use and refuses to delete another token's voiceprints", async () => {
    // Token A's voiceprint job stored "alice" (the adapter stores it under the job's owner).
    const seeding = await appWithToken(TOKEN_A);
    await seeding.store.voiceprints.put("alice", "vp-secret-alice", { provider: "pyannote", sourceJobId: "pyannote:job-a", owner: principalOf(TOKEN_A) });
    await seeding.close();

    const intruder = await serve(TOKEN_B);
    expect(await labels(intruder)).toEqual([]);
    const providers = await intruder.callTool({ name: "list_providers", arguments: { provider: "pyannote" } });
    expect(text(providers)).not.toContain("alice");
    const identify = await intruder.callTool({
      name: "start_job",
      arguments: { provider: "pyannote", task: "identify", media: [{ url: "https://example.com/a.wav" }], options: { voiceprints: ["alice"] } },
    });
    expect(identify.isError).toBe(true);
    expect(text(identify)).toContain('no stored voiceprint labelled "alice"');
    const deleted = await intruder.callTool({ name: "delete_voiceprint", arguments: { label: "alice" } });
    expect(deleted.isError).toBe(true);
    expect(text(deleted)).toContain('no voiceprint labelled "alice"');
    await stop();

    // Its owner still has it, and can delete it.
    const owner = await serve(TOKEN_A);
    expect(await labels(owner)).toEqual(["alice"]);
    expect(text(await owner.callTool({ name: "list_providers", arguments: { provider: "pyannote" } }))).toContain("alice");
    const removed = await owner.callTool({ name: "delete_voiceprint", arguments: { label: "alice" } });
    expect(removed.isError).toBeFalsy();
    expect(await labels(owner)).toEqual([]);
  });
});

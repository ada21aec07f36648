// `npm run demo`: starts the built server over stdio as a child process and drives it with
// the MCP SDK client, the way an agent would: list_providers → start_job (local acoustic
// analysis of the bundled sample) → get_job (wait) → get_predictions. No key, no network.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sampleDir = path.join(root, "assets", "sample");
const AUDIO = /\.(ogg|opus|mp3|flac|wav)$/i;

function step(title: string): void {
  console.log(`\n── ${title} ${"─".repeat(Math.max(0, 70 - title.length))}`);
}

function textOf(result: CallToolResult): string {
  return result.content.map((item) => (item.type === "text" ? item.text : "")).filter(Boolean).join("\n");
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  console.log(`→ ${name} ${JSON.stringify(args)}`);
  const result = (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
  if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
  return result;
}

async function main(): Promise<void> {
  const sample = fs.readdirSync(sampleDir).find((name) => AUDIO.test(name));
  if (!sample) throw new Error(`no sample recording in ${sampleDir}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "media-jobs-demo-"));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(root, "dist", "cli.js")],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? os.tmpdir(),
      MEDIA_JOBS_DATA_DIR: dataDir,
      MEDIA_JOBS_ALLOWED_DIRS: sampleDir,
      MEDIA_JOBS_POLL_INITIAL_MS: "250",
      MEDIA_JOBS_LOG_LEVEL: "warning",
    },
    stderr: "inherit",
  });
  const client = new Client({ name: "media-jobs-demo", version: "1.0.0" });
  try {
    await client.connect(transport);
    const info = client.getServerVersion();
    console.log(`Connected to ${info?.name} ${info?.version} over stdio (data dir ${dataDir}).`);

    step("1. list_providers — what can this server do?");
    const providers = await call(client, "list_providers", {});
    const listed = (providers.structuredContent as { providers: Array<{ id: string; name: string; configured: boolean; tasks: Array<{ task: string }> }> }).providers;
    for (const provider of listed) {
      console.log(`  ${provider.configured ? "✔" : "·"} ${provider.id.padEnd(14)} ${provider.name} — tasks: ${provider.tasks.map((task) => task.task).join(", ")}${provider.configured ? "" : " (needs a key)"}`);
    }

    step(`2. start_job — offline acoustic analysis of ${sample}`);
    const started = await call(client, "start_job", { provider: "local", task: "acoustic", media: [{ path: sample }], label: "demo sample" });
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    console.log(textOf(started).replace(/^/gm, "  "));

    step("3. get_job — wait for it (progress notifications while waiting)");
    let status = "";
    for (let attempt = 0; attempt < 10 && status !== "succeeded"; attempt++) {
      const waited = (await client.callTool(
        { name: "get_job", arguments: { job_id: jobId, wait_seconds: 30 } },
        undefined,
        {
          timeout: 120_000,
          onprogress: (progress) => console.log(`  … ${progress.message ?? `${progress.progress}s`}`),
        },
      )) as CallToolResult;
      if (waited.isError) throw new Error(textOf(waited));
      const job = (waited.structuredContent as { job: { status: string; results: string } }).job;
      status = job.status === "succeeded" && job.results !== "stored" ? "fetching" : job.status;
      if (attempt === 0 || status === "succeeded") console.log(textOf(waited).replace(/^/gm, "  "));
      if (status === "failed" || status === "canceled") throw new Error(`job ${status}`);
    }

    step("4. get_predictions — the condensed result (summary first, within 1,500 tokens)");
    const predictions = await call(client, "get_predictions", { job_id: jobId, max_tokens: 1_500 });
    console.log(textOf(predictions).replace(/^/gm, "  "));
    console.log("\nDone. The same server speaks to Claude Desktop and other MCP clients; see the README to add vendor keys.");
  } finally {
    await client.close().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

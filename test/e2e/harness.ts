// Drives the built CLI (dist/cli.js) as a child process with the MCP SDK Client, over stdio
// or Streamable HTTP. `npm test` builds first; run `npm run build` before running one e2e file.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(ROOT, "dist", "cli.js");

export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does it first)`);
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mjm-e2e-"));
}

/** Env for the child: only what we pass, plus PATH/HOME, so a developer's keys never leak in. */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? os.tmpdir(),
    MEDIA_JOBS_POLL_INITIAL_MS: "100",
    MEDIA_JOBS_POLL_MAX_MS: "400",
    // A killed server's jobs go to the next one in seconds, not the default 15.
    MEDIA_JOBS_LEASE_MS: "2000",
    MEDIA_JOBS_LOG_LEVEL: "debug",
    ...env,
  };
}

export interface StdioSession {
  client: Client;
  stderr: () => string;
  pid: number | undefined;
  close(): Promise<void>;
}

export async function startStdio(env: Record<string, string>, clientOptions: { roots?: string[] } = {}): Promise<StdioSession> {
  assertBuilt();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: childEnv(env),
    stderr: "pipe",
    cwd: ROOT,
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const client = new Client({ name: "e2e", version: "1.0.0" }, { capabilities: clientOptions.roots ? { roots: { listChanged: true } } : {} });
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    pid: transport.pid ?? undefined,
    async close() {
      await client.close().catch(() => undefined);
    },
  };
}

export interface HttpChild {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  connect(headers?: Record<string, string>): Promise<Client>;
  close(): Promise<void>;
}

export async function startHttp(env: Record<string, string>, args: string[] = []): Promise<HttpChild> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, "--http", "--port", "0", ...args], { env: childEnv(env), cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      const match = /\{"listening":"([^"]+)"\}/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  const clients: Client[] = [];
  return {
    url,
    child,
    stderr: () => stderr + (stdout ? `\n[stdout] ${stdout}` : ""),
    async connect(headers = {}) {
      const client = new Client({ name: "e2e-http", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) await client.close().catch(() => undefined);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

export async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
}

export function textOf(result: CallToolResult): string {
  return result.content.find((item) => item.type === "text")?.text ?? "";
}

export function structured<T>(result: CallToolResult): T {
  if (result.isError) throw new Error(`tool error: ${textOf(result)}`);
  return result.structuredContent as T;
}

/** Polls get_job until the job is settled (or the time runs out). */
export async function waitForJob(client: Client, jobId: string, totalSeconds = 60): Promise<{ status: string; results: string }> {
  const deadline = Date.now() + totalSeconds * 1000;
  for (;;) {
    const result = await callTool(client, "get_job", { job_id: jobId, wait_seconds: 10 });
    const job = structured<{ job: { status: string; results: string } }>(result).job;
    const settled = ["failed", "canceled"].includes(job.status) || (job.status === "succeeded" && job.results !== "pending");
    if (settled || Date.now() > deadline) return job;
  }
}

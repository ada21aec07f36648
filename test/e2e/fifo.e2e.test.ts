// A local job whose file is swapped for a FIFO, with the built CLI: the job is killed
// mid-analysis (SIGKILL), its file replaced by a named pipe, and the server restarted. The
// resumed job must fail at once naming the pipe (not block the analyzer forever), later local
// jobs must run, and the server must exit when its client closes stdin.

import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, ROOT, assertBuilt, childEnv, tempDataDir } from "./harness.js";
import { concat, harmonicStack, silence, writeWav } from "../providers/local/signals.js";

const dataDir = tempDataDir();
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Reply {
  id?: number;
  result?: { structuredContent?: { job?: { job_id: string; status: string; error?: { message: string } } }; content?: Array<{ text: string }> };
}

function rawServer(env: Record<string, string>) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [CLI], { env: childEnv(env), cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let nextId = 1;
  const request = async (method: string, params: Record<string, unknown>, timeoutMs = 60_000): Promise<Reply> => {
    const id = nextId++;
    child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Reply).find((reply) => reply.id === id);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no answer to ${method}; stderr: ${stderr.slice(-2_000)}`);
  };
  const tool = (name: string, args: Record<string, unknown>) => request("tools/call", { name, arguments: args });
  return {
    child,
    tool,
    stderr: () => stderr,
    async initialize() {
      await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "fifo", version: "1" } });
      child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
    },
  };
}

describe("a local job's file swapped for a FIFO", () => {
  it("fails the resumed job at once, keeps the analyzer serving, and exits when stdin closes", async () => {
    assertBuilt();
    const mediaDir = path.join(dataDir, "media");
    fs.mkdirSync(mediaDir);
    const pattern = concat(harmonicStack(2, 16_000, 150, 0.3, { amHz: 4 }), silence(1, 16_000));
    const long = new Float32Array(pattern.length * 100);
    for (let index = 0; index < 100; index++) long.set(pattern, index * pattern.length);
    const file = writeWav(mediaDir, "long.wav", [long], 16_000);
    writeWav(mediaDir, "short.wav", [pattern], 16_000);
    const env = { MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_ALLOWED_DIRS: mediaDir };

    const first = rawServer(env);
    await first.initialize();
    const started = await first.tool("start_job", { provider: "local", media: [{ path: "long.wav" }] });
    const jobId = started.result!.structuredContent!.job!.job_id;
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));

    fs.rmSync(file);
    execFileSync("mkfifo", [file]);

    const second = rawServer(env);
    await second.initialize();
    const resumed = await second.tool("get_job", { job_id: jobId, wait_seconds: 20 });
    const job = resumed.result!.structuredContent!.job!;
    expect(job.status, second.stderr().slice(-2_000)).toBe("failed");
    expect(JSON.stringify(resumed.result)).toContain("not a regular file (a named pipe)");

    const next = await second.tool("start_job", { provider: "local", media: [{ path: "short.wav" }], wait_seconds: 30 });
    expect(next.result!.structuredContent!.job!.status).toBe("succeeded");

    const exited = new Promise<number | null>((resolve) => second.child.once("exit", resolve));
    second.child.stdin.end();
    const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve("still running"), 15_000))]);
    expect(code).toBe(0);
  });
});

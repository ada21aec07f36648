// stdout is the protocol: every byte the server writes there must be a JSON-RPC message,
// including while the analyzer decodes a damaged file (decoders like to print).

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, ROOT, assertBuilt, childEnv, tempDataDir } from "./harness.js";

const dataDir = tempDataDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe("stdio purity", () => {
  it("writes only JSON-RPC lines to stdout through a whole session, logs to stderr", async () => {
    assertBuilt();
    const mediaDir = path.join(dataDir, "media");
    fs.mkdirSync(mediaDir);
    // A file that claims to be MP3 but is broken after the first frame header.
    const mp3 = fs.readFileSync(path.join(ROOT, "test", "fixtures", "audio", fs.readdirSync(path.join(ROOT, "test", "fixtures", "audio")).find((name) => name.endsWith(".mp3"))!));
    fs.writeFileSync(path.join(mediaDir, "broken.mp3"), Buffer.concat([mp3.subarray(0, 600), Buffer.alloc(4_000, 0xff)]));
    fs.copyFileSync(path.join(ROOT, "assets", "sample", "sample.ogg"), path.join(mediaDir, "sample.ogg"));

    const child = spawn(process.execPath, [CLI], {
      env: childEnv({ MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_ALLOWED_DIRS: mediaDir, PYANNOTEAI_API_KEY: "sk-canary-stdio-123456" }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const send = (message: unknown) => child.stdin.write(JSON.stringify(message) + "\n");
    const responses = () => stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { id?: number; result?: { structuredContent?: { job?: { job_id: string } } } });
    const waitFor = async (id: number) => {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const found = responses().find((message) => message.id === id);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no response ${id}; stderr: ${stderr}`);
    };

    send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    await waitFor(1);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "start_job", arguments: { provider: "local", media: [{ path: "sample.ogg" }, { path: "broken.mp3" }], wait_seconds: 30 } } });
    await waitFor(2);
    send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "list_providers", arguments: {} } });
    await waitFor(3);
    child.stdin.end();
    await new Promise((resolve) => child.once("exit", resolve));

    const lines = stdout.split("\n").filter((line) => line.length > 0);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: "2.0" });
    expect(stderr).toMatch(/serving over stdio/);
    expect(stdout + stderr).not.toContain("sk-canary-stdio-123456");
  });
});

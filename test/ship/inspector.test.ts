// The official MCP Inspector in CLI mode (`mcp-inspector --cli`) drives the built server over
// stdio, as a developer checking an install would: list the tools, call list_providers.
// Inspector 1.x: same --cli flags as 2.x, without 2.x's native keyring module and UI stack.

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assertBuilt, CLI, ROOT, tempDataDir } from "../e2e/harness.js";

const INSPECTOR = path.join(ROOT, "node_modules", "@modelcontextprotocol", "inspector", "cli", "build", "cli.js");
const dataDir = tempDataDir();

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Runs `mcp-inspector --cli -e … <pinned node> dist/cli.js …args`; resolves stdout parsed as JSON. */
async function inspect(env: Record<string, string>, args: string[]): Promise<unknown> {
  assertBuilt();
  const envFlags = Object.entries({ MEDIA_JOBS_DATA_DIR: dataDir, ...env }).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
  const child = spawn(process.execPath, [INSPECTOR, "--cli", ...envFlags, process.execPath, CLI, ...args], {
    cwd: ROOT,
    // The inspector re-spawns "node" from PATH for its CLI client: make that the pinned Node.
    env: { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`, HOME: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`inspector exited with ${code}:\n${stderr}\n${stdout}`);
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`inspector printed no JSON:\n${stdout}\n${stderr}`);
  }
}

interface ListedTool {
  name: string;
  description?: string;
  inputSchema: { properties?: Record<string, { maximum?: number }> };
  annotations?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}

describe("MCP Inspector CLI against the built server over stdio", () => {
  it("lists the seven tools, each described and annotated", async () => {
    const listed = (await inspect({}, ["--method", "tools/list"])) as { tools: ListedTool[] };
    expect(listed.tools.map((tool) => tool.name).sort()).toEqual(
      ["cancel_job", "delete_voiceprint", "get_job", "get_predictions", "list_jobs", "list_providers", "start_job"].sort(),
    );
    for (const tool of listed.tools) {
      expect(tool.description?.length ?? 0, tool.name).toBeGreaterThan(40);
      expect(tool.annotations, tool.name).toMatchObject({ readOnlyHint: expect.any(Boolean), destructiveHint: expect.any(Boolean) });
    }

    // Claude Code keeps a long result whole only up to anthropic/maxResultSizeChars: the
    // largest get_predictions answer (max_tokens at its maximum, ~4 characters a token) fits.
    const predictions = listed.tools.find((tool) => tool.name === "get_predictions")!;
    const maxTokens = predictions.inputSchema.properties?.max_tokens?.maximum;
    expect(maxTokens).toBeGreaterThan(0);
    expect(predictions._meta?.["anthropic/maxResultSizeChars"]).toBe(maxTokens! * 4);
  });

  it("calls list_providers: the local analyzer is ready, a vendor with a key is configured, the key is never shown", async () => {
    const result = (await inspect({ HUME_API_KEY: "hume-inspector-not-real" }, ["--method", "tools/call", "--tool-name", "list_providers"])) as {
      isError?: boolean;
      content: Array<{ type: string; text?: string }>;
      structuredContent: { providers: Array<{ id: string; configured: boolean }> };
    };
    expect(result.isError).toBeFalsy();
    expect(result.content[0]?.text).toMatch(/local .*ready/);
    const configured = Object.fromEntries(result.structuredContent.providers.map((provider) => [provider.id, provider.configured]));
    expect(configured).toMatchObject({ local: true, hume: true });
    expect(JSON.stringify(result)).not.toContain("hume-inspector-not-real");
  });

  it("reports a bad call the way a client shows it: an error result that says how to fix it", async () => {
    const result = (await inspect({}, ["--method", "tools/call", "--tool-name", "get_job", "--tool-arg", "job_id=nope:123"])) as {
      isError?: boolean;
      content: Array<{ text?: string }>;
    };
    expect(result.isError).toBe(true);
    // Names the bad value and the tool that lists valid ones.
    expect(result.content[0]?.text ?? "").toContain("nope:123");
    expect(result.content[0]?.text ?? "").toContain("list_jobs");
  });
});

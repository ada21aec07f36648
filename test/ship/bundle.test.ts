// The Claude Desktop bundle as a user installs it: `npm run bundle` (without its build step:
// the suite builds first), unpacked with the official mcpb code, started the way Claude
// Desktop starts it (mcp_config resolved by the mcpb library from the user's settings).

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getMcpConfigForManifest, unpackExtension, type McpbManifestAny } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, ROOT } from "../e2e/harness.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-bundle-test-"));
const bundlePath = path.join(work, "media-jobs-mcp.mcpb");
const unpacked = path.join(work, "unpacked");
let bundleLog = "";

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

interface Started {
  client: Client;
  stderr: () => string;
}

const clients: Client[] = [];

/** Starts the unpacked bundle the way the host does: its mcp_config with the user's settings. */
async function startFromManifest(userConfig: Record<string, string | string[]>): Promise<Started> {
  const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, "manifest.json"), "utf8")) as McpbManifestAny;
  const resolved = await getMcpConfigForManifest({
    manifest,
    extensionPath: unpacked,
    systemDirs: { HOME: work, DESKTOP: work, DOCUMENTS: work, DOWNLOADS: work },
    userConfig,
    pathSeparator: path.sep,
  });
  if (!resolved) throw new Error("mcpb produced no mcp_config (a required setting missing?)");
  // Claude Desktop runs "node" with the Node it ships; here that is the pinned Node.
  expect(resolved.command).toBe("node");
  const dataDir = fs.mkdtempSync(path.join(work, "data-"));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: resolved.args ?? [],
    env: { PATH: process.env.PATH ?? "", HOME: work, MEDIA_JOBS_DATA_DIR: dataDir, ...(resolved.env ?? {}) },
    stderr: "pipe",
    cwd: work,
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const client = new Client({ name: "bundle-test", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return { client, stderr: () => stderr };
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
}

beforeAll(async () => {
  assertBuilt();
  const result = spawnSync(process.execPath, [path.join(ROOT, "scripts", "bundle.mjs"), "--no-build", "--out", bundlePath], {
    cwd: ROOT,
    encoding: "utf8",
    // npm (for `npm ci --omit=dev`) must run on the pinned Node too.
    env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` },
    timeout: 150_000,
  });
  bundleLog = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) throw new Error(`npm run bundle failed:\n${bundleLog}`);
  const ok = await unpackExtension({ mcpbPath: bundlePath, outputDir: unpacked, silent: true });
  if (!ok) throw new Error("mcpb unpack failed");
}, 180_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the .mcpb bundle", () => {
  it("holds the manifest, icon, compiled server, sample and production dependencies, and no native modules", () => {
    for (const file of ["manifest.json", "assets/icon.png", "mcpb-entry.mjs", "dist/cli.js", "package.json", "assets/sample/sample.ogg"]) {
      expect(fs.existsSync(path.join(unpacked, file)), file).toBe(true);
    }
    expect(fs.existsSync(path.join(unpacked, "node_modules", "@modelcontextprotocol", "sdk"))).toBe(true);
    // Dev tools stay out: they would triple the download.
    for (const devOnly of ["vitest", "typescript", "@anthropic-ai/mcpb", "@modelcontextprotocol/inspector"]) {
      expect(fs.existsSync(path.join(unpacked, "node_modules", devOnly)), devOnly).toBe(false);
    }
    const files = filesUnder(unpacked);
    expect(files.filter((file) => file.endsWith(".node"))).toEqual([]);
    const size = fs.statSync(bundlePath).size;
    expect(size).toBeLessThan(60 * 1024 * 1024);
    process.stderr.write(`bundle size: ${(size / 1024 / 1024).toFixed(1)} MB, ${files.length} files\n`);
  });

  it("starts from dist/cli.js over stdio and lists every tool the manifest declares", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(unpacked, "dist", "cli.js")],
      env: { PATH: process.env.PATH ?? "", HOME: work, MEDIA_JOBS_DATA_DIR: fs.mkdtempSync(path.join(work, "data-")) },
      stderr: "pipe",
      cwd: work,
    });
    const client = new Client({ name: "bundle-test", version: "1.0.0" });
    await client.connect(transport);
    clients.push(client);
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, "manifest.json"), "utf8")) as { tools: Array<{ name: string }>; version: string };
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(manifest.tools.map((tool) => tool.name).sort());
    expect(client.getServerVersion()?.version).toBe(manifest.version);
  });

  it("runs with the host's settings: keys left empty stay unconfigured, a given key configures its provider", async () => {
    const { client } = await startFromManifest({ hume_api_key: "hume-test-not-real" });
    const result = await call(client, "list_providers", {});
    const providers = (result.structuredContent as { providers: Array<{ id: string; configured: boolean }> }).providers;
    const configured = Object.fromEntries(providers.map((provider) => [provider.id, provider.configured]));
    expect(configured).toMatchObject({ local: true, hume: true });
    // Every vendor whose key was left empty is listed as needing one (not "configured" with "").
    const vendorsWithoutKey = providers.filter((provider) => !["local", "hume"].includes(provider.id));
    expect(vendorsWithoutKey.length).toBeGreaterThan(0);
    for (const provider of vendorsWithoutKey) expect(provider.configured, provider.id).toBe(false);
    expect(JSON.stringify(result)).not.toContain("hume-test-not-real");
  });

  it("reads local files only from the folders chosen in the bundle's settings", async () => {
    const sampleDir = path.join(unpacked, "assets", "sample");
    const sample = path.join(sampleDir, "sample.ogg");

    const without = await startFromManifest({});
    const refused = await call(without.client, "start_job", { provider: "local", task: "acoustic", media: [{ path: sample }] });
    expect(refused.isError).toBe(true);

    const allowed = await startFromManifest({ allowed_directories: [sampleDir, path.join(work, "elsewhere")] });
    const started = await call(allowed.client, "start_job", { provider: "local", task: "acoustic", media: [{ path: sample }] });
    expect(started.isError, JSON.stringify(started.content)).toBeFalsy();
    expect((started.structuredContent as { job: { job_id: string } }).job.job_id).toMatch(/^local:/);
  });
});

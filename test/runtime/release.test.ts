// `npm run release` as the README's Install section uses it: one command writes the npm tarball,
// the .mcpb bundle and server.json; the tarball holds only what a user runs; `npm install -g`
// of it into an empty folder gives a `media-jobs-mcp` command that answers --help and serves a
// local acoustic job over stdio. (The suite has built dist/ already: --no-build.)

import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, callTool, ROOT, structured, textOf, waitForJob } from "../e2e/harness.js";
import { serverJsonSchema } from "../ship/server-json-schema.js";
import { PACKAGE } from "../ship/ship-docs.js";
import { run } from "./runtimes.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-release-"));
const releaseDir = path.join(work, "release");
const tarballName = `${PACKAGE.name}-${PACKAGE.version}.tgz`;
const bundleName = `${PACKAGE.name}-${PACKAGE.version}.mcpb`;
const unpacked = path.join(work, "unpacked");
const prefix = path.join(work, "global");
// npm and the installed command run on the pinned Node (the one running this suite).
const nodeDir = path.dirname(process.execPath);
const pathWith = (...dirs: string[]) => [...dirs, nodeDir, process.env.PATH ?? ""].join(path.delimiter);

let shipped: string[] = [];

beforeAll(() => {
  assertBuilt();
  const release = spawnSync(process.execPath, [path.join(ROOT, "scripts", "release.mjs"), "--no-build", "--out-dir", releaseDir], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PATH: pathWith() },
    timeout: 150_000,
  });
  if (release.status !== 0) throw new Error(`npm run release failed:\n${release.stdout}\n${release.stderr}`);
  fs.mkdirSync(unpacked);
  const untar = spawnSync("tar", ["-xzf", path.join(releaseDir, tarballName), "-C", unpacked], { encoding: "utf8" });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  shipped = fs
    .readdirSync(unpacked, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(unpacked, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
}, 180_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("npm run release", () => {
  it("writes the npm tarball, the bundle, and server.json with the bundle's SHA-256", () => {
    expect(fs.readdirSync(releaseDir).sort()).toEqual([bundleName, "server.json", tarballName].sort());
    const released = serverJsonSchema.parse(JSON.parse(fs.readFileSync(path.join(releaseDir, "server.json"), "utf8")));
    const sha256 = crypto.createHash("sha256").update(fs.readFileSync(path.join(releaseDir, bundleName))).digest("hex");
    expect(released.packages[1].fileSha256).toBe(sha256);
    // Otherwise the committed server.json, unchanged.
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, "server.json"), "utf8")) as { packages: Array<Record<string, unknown>> };
    committed.packages[1]!.fileSha256 = sha256;
    expect(released).toEqual(committed);
  });
});

describe("the npm tarball", () => {
  it("holds the compiled server, package.json and README, and no benchmarks, demo, source maps, sources or tests", () => {
    expect(shipped).toEqual(expect.arrayContaining(["package/package.json", "package/README.md", "package/dist/cli.js", "package/dist/cli-main.js"]));
    const unwanted = shipped.filter(
      (file) => !file.startsWith("package/dist/") && !["package/package.json", "package/README.md", "package/LICENSE"].includes(file),
    );
    expect(unwanted).toEqual([]);
    expect(shipped.filter((file) => /^package\/dist\/(bench|demo)\//.test(file) || file.endsWith(".map"))).toEqual([]);
    for (const file of shipped.filter((name) => name.endsWith(".js"))) {
      expect(fs.readFileSync(path.join(unpacked, file), "utf8"), file).not.toContain("sourceMappingURL");
    }
  });

  it("ships exactly the modules the bin loads (and the empty ones of type-only sources)", () => {
    const specifiersIn = (file: string) => {
      const source = fs.readFileSync(path.join(unpacked, file), "utf8");
      return [
        ...source.matchAll(/\bfrom\s+["'](\.{1,2}\/[^"']+)["']/g),
        ...source.matchAll(/\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g),
        ...source.matchAll(/\bimport\s+["'](\.{1,2}\/[^"']+)["']/g),
        // Worker entries are loaded by URL.
        ...source.matchAll(/new URL\(\s*["'](\.{1,2}\/[^"']+\.js)["']\s*,\s*import\.meta\.url\s*\)/g),
      ].map((match) => path.posix.join(path.posix.dirname(file), match[1]!));
    };
    const reachable = new Set<string>();
    const pending = [`package/${PACKAGE.bin[PACKAGE.name]!}`];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (reachable.has(file)) continue;
      reachable.add(file);
      expect(shipped, `imported but not shipped: ${file}`).toContain(file);
      pending.push(...specifiersIn(file));
    }
    const typeOnly = (file: string) => fs.readFileSync(path.join(unpacked, file), "utf8").replace(/\/\/.*$/gm, "").trim() === "export {};";
    const unused = shipped.filter((file) => file.endsWith(".js") && !reachable.has(file) && !typeOnly(file));
    expect(unused, `shipped but never loaded: ${unused.join(", ")}`).toEqual([]);
  });

  it("installs with `npm install -g` into an empty folder; the command answers --help and serves a local job over stdio", async () => {
    fs.mkdirSync(prefix);
    // The README's command, run beside release/ as a user runs it after `npm run release`.
    const install = await run("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", `./release/${tarballName}`], {
      cwd: work,
      env: { PATH: pathWith(), HOME: process.env.HOME ?? work, npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), ".npm") },
      timeoutMs: 120_000,
    });
    expect(install.code, install.stderr).toBe(0);
    const installed = path.join(prefix, "lib", "node_modules", PACKAGE.name);
    for (const devOnly of ["vitest", "typescript", "node", "@anthropic-ai/mcpb"]) {
      expect(fs.existsSync(path.join(installed, "node_modules", devOnly)), devOnly).toBe(false);
    }

    const env = { PATH: pathWith(path.join(prefix, "bin")), HOME: work };
    const help = await run(PACKAGE.name, ["--help"], { env, cwd: work });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stderr).toContain("Usage:");

    const media = path.join(work, "media");
    fs.mkdirSync(media);
    fs.copyFileSync(path.join(ROOT, "assets", "sample", "sample.ogg"), path.join(media, "sample.ogg"));
    const transport = new StdioClientTransport({
      command: PACKAGE.name,
      env: { ...env, MEDIA_JOBS_DATA_DIR: path.join(work, "data"), MEDIA_JOBS_ALLOWED_DIRS: media, MEDIA_JOBS_LOG_LEVEL: "warning" },
      stderr: "pipe",
      cwd: work,
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const client = new Client({ name: "installed-tarball", version: "1.0.0" });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: PACKAGE.name, version: PACKAGE.version });
      const started = await callTool(client, "start_job", { provider: "local", task: "acoustic", media: [{ path: "sample.ogg" }] });
      const jobId = structured<{ job: { job_id: string } }>(started).job.job_id;
      expect((await waitForJob(client, jobId, 90)).status).toBe("succeeded");
      const predictions = await callTool(client, "get_predictions", { job_id: jobId });
      expect(predictions.isError, textOf(predictions)).toBeFalsy();
      expect(textOf(predictions)).toMatch(/LUFS/);
    } finally {
      await client.close();
    }
    expect(stderr).toBe("");
  }, 150_000);
});

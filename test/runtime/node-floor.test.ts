// The oldest Node.js the package claims is the one it is tested on: the built server runs on
// exactly that version (installed from the npm registry like the pinned Node 24), and every
// place that states the floor states the same version.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, describe, expect, it } from "vitest";
import { isSupportedNode, MINIMUM_NODE } from "../../src/node-version-guard.js";
import { assertBuilt, callTool, childEnv, CLI, ROOT, structured, tempDataDir, textOf, waitForJob } from "../e2e/harness.js";
import { PACKAGE, README } from "../ship/ship-docs.js";
import { FLOOR_NODE, run, versionOf } from "./runtimes.js";

const SAMPLE_DIR = path.join(ROOT, "assets", "sample");
const dataDir = tempDataDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const [floorMajor, floorMinor] = MINIMUM_NODE.split(".");

describe("the Node.js floor", () => {
  it("is installed at exactly the version the guard enforces", () => {
    const pinned = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "runtime", "node-floor", "package.json"), "utf8")) as { dependencies: { node: string } };
    expect(pinned.dependencies.node).toBe(MINIMUM_NODE);
    expect(versionOf(FLOOR_NODE)).toBe(MINIMUM_NODE);
  });

  it("is stated alike in package.json, manifest.json and the README, with no older floor left anywhere", () => {
    expect(PACKAGE.engines.node).toBe(`>=${MINIMUM_NODE}`);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "manifest.json"), "utf8")) as { compatibility: { runtimes: { node: string } } };
    expect(manifest.compatibility.runtimes.node).toBe(`>=${MINIMUM_NODE}`);
    const stated = [...README.matchAll(/Node(?:\.js)? (?:≥ ?|>= ?)?(\d+\.\d+)(?: or newer)?/g)].map((match) => match[1]);
    expect(stated.length).toBeGreaterThan(0);
    expect(new Set(stated)).toEqual(new Set([`${floorMajor}.${floorMinor}`]));
  });

  it("accepts exactly the versions from the floor on", () => {
    const [major, minor, patch] = MINIMUM_NODE.split(".").map(Number) as [number, number, number];
    for (const version of [MINIMUM_NODE, `v${MINIMUM_NODE}`, `${major}.${minor}.${patch + 1}`, `${major}.${minor + 1}.0`, `${major + 1}.0.0`, "24.21.0", "100.0.0"]) {
      expect(isSupportedNode(version), version).toBe(true);
    }
    for (const version of ["22.13.0", "22.18.9", `${major}.${minor - 1}.99`, `${major - 1}.99.99`, "20.20.2", "18.0.0", "v0.10.48"]) {
      expect(isSupportedNode(version), version).toBe(false);
    }
  });

  it("drops only node:sqlite's ExperimentalWarning: other warnings, experimental ones included, still print", async () => {
    assertBuilt();
    const guard = pathToFileURL(path.join(ROOT, "dist", "node-version-guard.js")).href;
    const script = [
      `const { silenceSqliteExperimentalWarning } = await import(${JSON.stringify(guard)});`,
      "silenceSqliteExperimentalWarning();",
      'await import("node:sqlite");',
      'process.emitWarning("Widgets are an experimental feature", "ExperimentalWarning");',
      'process.emitWarning("a deprecated call", "DeprecationWarning", "DEP0999");',
      'process.emitWarning(new Error("an Error object as a warning"));',
    ].join("\n");
    const result = await run(FLOOR_NODE, ["--input-type=module", "-e", script], { env: { PATH: process.env.PATH ?? "" } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("SQLite");
    expect(result.stderr).toContain("ExperimentalWarning: Widgets are an experimental feature");
    expect(result.stderr).toContain("[DEP0999] DeprecationWarning: a deprecated call");
    expect(result.stderr).toContain("an Error object as a warning");
    // Without the filter, this Node does print the SQLite warning: the test above can fail.
    const unfiltered = await run(FLOOR_NODE, ["--input-type=module", "-e", 'await import("node:sqlite");'], { env: { PATH: process.env.PATH ?? "" } });
    expect(unfiltered.stderr).toContain("ExperimentalWarning: SQLite is an experimental feature");
  });

  it(`runs the built server on Node ${MINIMUM_NODE}: initialize, tools/list and a local acoustic job over stdio, with a clean stderr`, async () => {
    assertBuilt();
    const transport = new StdioClientTransport({
      command: FLOOR_NODE,
      args: [CLI],
      // Warnings and errors only: on a healthy run stderr stays empty (Node 22 would add
      // "ExperimentalWarning: SQLite is an experimental feature").
      env: childEnv({ MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_ALLOWED_DIRS: SAMPLE_DIR, MEDIA_JOBS_LOG_LEVEL: "warning" }),
      stderr: "pipe",
      cwd: ROOT,
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const client = new Client({ name: "node-floor", version: "1.0.0" });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.version).toBe(PACKAGE.version);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(["start_job", "get_job", "get_predictions"]));

      const started = await callTool(client, "start_job", { provider: "local", task: "acoustic", media: [{ path: path.join(SAMPLE_DIR, "sample.ogg") }] });
      const jobId = structured<{ job: { job_id: string } }>(started).job.job_id;
      const job = await waitForJob(client, jobId, 90);
      expect(job.status).toBe("succeeded");
      const predictions = await callTool(client, "get_predictions", { job_id: jobId });
      expect(predictions.isError, textOf(predictions)).toBeFalsy();
      expect(textOf(predictions)).toMatch(/LUFS/);
    } finally {
      await client.close();
    }
    expect(stderr).toBe("");
  }, 120_000);
});

// On a Node older than the floor, the bin and the bundle's entry print one line naming the
// version needed and exit non-zero, before loading anything that needs a newer Node (before
// the guard: a 12-line ERR_UNKNOWN_BUILTIN_MODULE stack for node:sqlite on Node 20).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isSupportedNode, MINIMUM_NODE } from "../../src/node-version-guard.js";
import { assertBuilt, CLI, ROOT } from "../e2e/harness.js";
import { run, systemNode, versionOf } from "./runtimes.js";

const oldNode = systemNode();
const oldVersion = oldNode ? versionOf(oldNode) : undefined;
const usable = oldNode !== undefined && oldVersion !== undefined && !isSupportedNode(oldVersion);
const [major, minor] = MINIMUM_NODE.split(".");

const work = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-old-node-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function expectOneLineRefusal(result: { code: number | null; stdout: string; stderr: string }, node: string, version: string): void {
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.code).not.toBeNull();
  expect(result.stdout).toBe("");
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(`needs Node.js ${major}.${minor} or newer`);
  expect(lines[0]).toContain(version);
  expect(lines[0]).toContain(node);
}

describe.skipIf(!usable)(`on the system's older Node (${oldNode ?? "none found"} ${oldVersion ?? ""})`, () => {
  it("dist/cli.js --help prints one line naming the version needed, and exits non-zero", async () => {
    assertBuilt();
    for (const args of [["--help"], [], ["--http", "--port", "0"]]) {
      expectOneLineRefusal(await run(oldNode!, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", HOME: work } }), oldNode!, oldVersion!);
    }
  });

  it("the bundle's entry (mcpb-entry.mjs beside dist/) does the same", async () => {
    assertBuilt();
    // The bundle's layout: the entry at the root, the compiled server in dist/.
    const bundleRoot = path.join(work, "bundle");
    fs.mkdirSync(bundleRoot);
    fs.copyFileSync(path.join(ROOT, "scripts", "mcpb-entry.mjs"), path.join(bundleRoot, "mcpb-entry.mjs"));
    fs.symlinkSync(path.join(ROOT, "dist"), path.join(bundleRoot, "dist"), "dir");
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(bundleRoot, "package.json"));
    const result = await run(oldNode!, [path.join(bundleRoot, "mcpb-entry.mjs"), path.join(ROOT, "assets", "sample")], {
      env: { PATH: process.env.PATH ?? "", HOME: work },
      cwd: work,
    });
    expectOneLineRefusal(result, oldNode!, oldVersion!);
  });
});

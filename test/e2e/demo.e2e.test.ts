// The README's first command ends in `npm run demo`: the built demo must run to the end.

import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, assertBuilt } from "./harness.js";

describe("npm run demo", () => {
  it("drives the built server through list_providers → start_job → get_job → get_predictions without a key", () => {
    assertBuilt();
    const result = spawnSync(process.execPath, [path.join(ROOT, "dist", "demo", "demo.js")], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const steps = ["1. list_providers", "2. start_job", "3. get_job", "4. get_predictions"].map((step) => result.stdout.indexOf(step));
    expect(steps.every((position) => position >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(result.stdout).toMatch(/✔ local/);
    expect(result.stdout).toMatch(/-?\d+\.\d LUFS integrated/);
    expect(result.stdout).toMatch(/Speech \d+\.\d% of 0:29\.0/);
  });
});

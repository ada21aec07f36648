// The analysis worker starts both ways it is deployed: from the TypeScript sources (vitest,
// via Node's type stripping and our resolve hook) and from the built dist/ (`npm test`
// builds first; run `npm run build` to include the second case when running vitest alone).

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_ANALYSIS_OPTIONS } from "../../../src/providers/local/local-analyze.js";
import { resolveWorkerEntry, startAnalysisWorker } from "../../../src/providers/local/local-worker-runner.js";
import { concat, harmonicStack, silence, tempDir, writeWav } from "./signals.js";

const DIST_RUNNER = path.resolve("dist/providers/local/local-worker-runner.js");
const file = writeWav(tempDir(), "worker.wav", [concat(silence(0.5, 16_000), harmonicStack(1, 16_000, 180, 0.3), silence(0.5, 16_000))], 16_000);

describe("analysis worker entry", () => {
  it("runs the .ts worker from sources, reporting progress in seconds", async () => {
    expect(resolveWorkerEntry().kind).toBe("typescript");
    const progress: Array<[number, number | undefined]> = [];
    const run = startAnalysisWorker({ files: [{ path: file, name: "worker.wav" }], options: DEFAULT_ANALYSIS_OPTIONS }, (done, total) => progress.push([done, total]));
    const report = await run.result;
    expect(report.files[0]!.segments).toHaveLength(1);
    expect(progress.at(-1)).toEqual([2, 2]);
  });

  it.skipIf(!fs.existsSync(DIST_RUNNER))("runs the built .js worker from dist/", async () => {
    const built = (await import(pathToFileURL(DIST_RUNNER).href)) as typeof import("../../../src/providers/local/local-worker-runner.js");
    expect(built.resolveWorkerEntry().kind).toBe("javascript");
    const report = await built.startAnalysisWorker({ files: [{ path: file, name: "worker.wav" }], options: DEFAULT_ANALYSIS_OPTIONS }, () => {}).result;
    expect(report.files[0]!.pitch.medianHz).toBeCloseTo(180, -1);
  });

  it("a canceled worker rejects its result", async () => {
    const run = startAnalysisWorker({ files: [{ path: file, name: "worker.wav" }], options: DEFAULT_ANALYSIS_OPTIONS }, () => {});
    await run.cancel();
    await expect(run.result).rejects.toThrow(/canceled/);
  });
});

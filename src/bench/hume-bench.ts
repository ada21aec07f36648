// Hume condensers at scale: an hour of video (face at 3 fps, prosody, bursts, word-level
// language, entities). Prints, side by side, a plain JSON.parse of the raw predictions, the
// first condense (parse + index + stored-index serialization + view) and repeated condenses
// (stored index JSON → view, as get_predictions does). Each measurement runs in its own child
// process, so peak memory (max RSS) belongs to that step alone.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PredictionQuery } from "../condense/view.js";
import { condenseHumeIndex } from "../providers/hume/hume-condense.js";
import { buildHumeIndex, type HumeIndex } from "../providers/hume/hume-index.js";
import { generateHumePredictions, oneHourVideoSpec } from "../providers/hume/hume-payload-generator.js";

const SCENARIO_FLAG = "--hume-bench-scenario";
const RUNS = 3;

interface Measurement {
  ms: number;
  /** For repeated condenses: the first call in a fresh process. */
  coldMs?: number;
  maxRssMb: number;
  rows?: number;
}

const QUERIES: Record<string, PredictionQuery> = {
  summary: { top_k: 5 },
  "timeline 10-min window": { top_k: 5, view: "timeline", start_s: 600, end_s: 1_200 },
  "arc, prosody only": { top_k: 5, view: "arc", model: "prosody" },
};

function runScenario(scenario: string, file: string, query: string): Measurement {
  const text = readFileSync(file, "utf8");
  const started = performance.now();
  let rows = 0;
  switch (scenario) {
    case "parse":
      JSON.parse(text);
      break;
    case "first": {
      const index = buildHumeIndex(JSON.parse(text), { frameStepS: 1 / 3 });
      JSON.stringify(index); // what the store writes
      rows = countRows(condenseHumeIndex(index, QUERIES[query]!));
      break;
    }
    case "repeat": {
      // A running server answers many get_predictions calls: the first call in a fresh process
      // pays for JIT warm-up, later ones show the steady state.
      const times: number[] = [];
      for (let call = 0; call < 7; call++) {
        const callStarted = performance.now();
        const index = JSON.parse(text) as HumeIndex; // what the store hands back
        rows = countRows(condenseHumeIndex(index, QUERIES[query]!));
        times.push(performance.now() - callStarted);
      }
      const warm = times.slice(1).sort((a, b) => a - b);
      return { ms: warm[Math.floor(warm.length / 2)]!, coldMs: times[0]!, maxRssMb: process.resourceUsage().maxRSS / 1024, rows };
    }
  }
  const ms = performance.now() - started;
  return { ms, maxRssMb: process.resourceUsage().maxRSS / 1024, rows };
}

function countRows(view: { sections: Array<{ rows: string[] }> }): number {
  return view.sections.reduce((sum, section) => sum + section.rows.length, 0);
}

function measure(scenario: string, file: string, query = "summary"): Measurement {
  const results: Measurement[] = [];
  for (let run = 0; run < RUNS; run++) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), SCENARIO_FLAG, scenario, file, query], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`bench child failed: ${child.stderr}`);
    results.push(JSON.parse(child.stdout) as Measurement);
  }
  results.sort((a, b) => a.ms - b.ms);
  const median = results[Math.floor(results.length / 2)]!;
  return { ...median, maxRssMb: Math.max(...results.map((result) => result.maxRssMb)) };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export async function run(): Promise<void> {
  const directory = mkdtempSync(path.join(os.tmpdir(), "hume-bench-"));
  try {
    const generateStarted = performance.now();
    const rawText = JSON.stringify(generateHumePredictions(oneHourVideoSpec(), 42));
    const rawFile = path.join(directory, "predictions.json");
    writeFileSync(rawFile, rawText);
    const index = buildHumeIndex(JSON.parse(rawText), { frameStepS: 1 / 3 });
    const indexText = JSON.stringify(index);
    const indexFile = path.join(directory, "index.json");
    writeFileSync(indexFile, indexText);
    const file = index.files[0]!;
    console.log(
      `workload: 1 h video — ${file.models.face?.[0]?.count ?? 0} face frames × 48, ${file.models.prosody?.reduce((sum, group) => sum + group.count, 0) ?? 0} utterances, ` +
        `${file.models.language?.reduce((sum, group) => sum + group.count, 0) ?? 0} words × 53; raw ${megabytes(rawText.length)}, index ${megabytes(indexText.length)} ` +
        `(generated in ${((performance.now() - generateStarted) / 1000).toFixed(1)} s); median of ${RUNS} runs, each in a fresh process`,
    );
    const baseline = measure("none", rawFile);
    console.log(`${"step".padEnd(56)} ${"time".padStart(9)} ${"peak RSS".padStart(10)}`);
    const print = (label: string, result: Measurement) =>
      console.log(
        `${label.padEnd(56)} ${`${result.ms.toFixed(0)} ms`.padStart(9)} ${`${result.maxRssMb.toFixed(0)} MB`.padStart(10)}` +
          `${result.coldMs !== undefined ? `  (first call in a fresh process ${result.coldMs.toFixed(0)} ms)` : ""}${result.rows ? `  ${result.rows} detail rows` : ""}`,
      );
    print("read file only (baseline process)", baseline);
    print("plain JSON.parse of the raw predictions", measure("parse", rawFile));
    print("first condense: parse + index + serialize + summary", measure("first", rawFile));
    for (const query of Object.keys(QUERIES)) print(`repeat (stored index JSON → view): ${query}`, measure("repeat", indexFile, query));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === SCENARIO_FLAG) {
  const [scenario, file, query] = process.argv.slice(3) as [string, string, string];
  process.stdout.write(JSON.stringify(runScenario(scenario, file, query)));
}

// One benchmark run in its own process (so its peak RSS is its own): analyses one file
// through the worker thread, as the server does, and prints its figures as one JSON line.

import path from "node:path";
import { DEFAULT_ANALYSIS_OPTIONS } from "../providers/local/local-analyze.js";
import { startAnalysisWorker } from "../providers/local/local-worker-runner.js";

const file = process.argv[2]!;
const started = performance.now();
const cpuBefore = process.cpuUsage();
let progressMessages = 0;
let monotonic = true;
let lastDone = 0;
let lastShare = 0;
const run = startAnalysisWorker({ files: [{ path: file, name: path.basename(file) }], options: DEFAULT_ANALYSIS_OPTIONS }, (done, total) => {
  progressMessages++;
  if (done < lastDone) monotonic = false;
  lastDone = done;
  if (total) lastShare = done / total;
});
const report = await run.result;
const cpu = process.cpuUsage(cpuBefore);
const analysed = report.files[0]!;
console.log(
  JSON.stringify({
    durationSeconds: analysed.durationSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds: (performance.now() - started) / 1000,
    maxRssMb: (process.resourceUsage().maxRSS * 1024) / 1024 / 1024,
    progressMessages,
    progressMonotonic: monotonic,
    lastProgressShare: lastShare,
    speechRatio: analysed.speech.ratio,
    f0MedianHz: analysed.pitch.medianHz,
    syllables: analysed.rate.syllables,
  }),
);

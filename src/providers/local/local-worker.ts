// Worker-thread entry: analyses the job's files one after another and posts progress
// (seconds of audio done of the job's total) and the report. A file that cannot be read or
// decoded becomes a per-file failure; the other files are still analysed.

import { parentPort, workerData } from "node:worker_threads";
import { analyzeFile } from "./local-analyze.js";
import { limitDecodedSeconds, openAudioSource } from "./local-decode.js";
import { AudioDecodeError } from "./local-errors.js";
import { overLengthLimit } from "./local-limits.js";
import type { FileFailure, FileReport, LocalReport } from "./local-report.js";
import type { WorkerMessage, WorkerRequest } from "./local-worker-protocol.js";

export async function runAnalysis(request: WorkerRequest, post: (message: WorkerMessage) => void): Promise<LocalReport> {
  // Compressed files' headers may not tell their length: the decoder stops at the limit.
  limitDecodedSeconds(request.maxAudioSeconds);
  const failures: FileFailure[] = [];
  const failureOf = (name: string, error: unknown): FileFailure =>
    error instanceof AudioDecodeError
      ? { name, code: error.code, message: error.message }
      : { name, code: "analysis_failed", message: `${name} could not be analysed (${error instanceof Error ? error.name : "unexpected error"})` };

  // Probe lengths first so progress has a job-wide total from the start.
  const estimates = new Map<number, number | undefined>();
  for (const [index, file] of request.files.entries()) {
    try {
      const source = await openAudioSource(file.path, file.name);
      await source.close();
      // Downloads and resumed jobs were not measured at start_job: refused here, before decoding.
      const tooLong = source.format === "wav" ? overLengthLimit(file.name, source.estimatedSeconds, request.maxAudioSeconds) : undefined;
      if (tooLong) throw tooLong;
      estimates.set(index, source.estimatedSeconds);
    } catch (error) {
      failures.push(failureOf(file.name, error));
      estimates.set(index, undefined);
    }
  }
  const failed = new Set(failures.map((failure) => failure.name));
  const totalOf = (current: number, currentTotal: number | undefined) => {
    let total = 0;
    for (const [index, estimate] of estimates) if (index !== current) total += estimate ?? 0;
    return total + (currentTotal ?? 0);
  };

  const files: FileReport[] = [];
  let finishedSeconds = 0;
  for (const [index, file] of request.files.entries()) {
    if (failed.has(file.name) && estimates.get(index) === undefined) continue;
    try {
      const report = await analyzeFile(file.path, file.name, request.options, (done, total) => {
        if (total !== undefined) estimates.set(index, total);
        post({ type: "progress", done: finishedSeconds + done, total: totalOf(index, estimates.get(index)) });
      });
      estimates.set(index, report.durationSeconds);
      finishedSeconds += report.durationSeconds;
      files.push(report);
    } catch (error) {
      failures.push(failureOf(file.name, error));
      estimates.set(index, 0);
    }
  }
  return { version: 1, files, failures };
}

if (parentPort && (workerData as { localAnalysis?: WorkerRequest } | undefined)?.localAnalysis) {
  const port = parentPort;
  const request = (workerData as { localAnalysis: WorkerRequest }).localAnalysis;
  runAnalysis(request, (message) => port.postMessage(message)).then(
    (report) => port.postMessage({ type: "done", report } satisfies WorkerMessage),
    (error: unknown) => {
      // Unexpected: let the worker's "error" event carry it to the adapter.
      throw error;
    },
  );
}

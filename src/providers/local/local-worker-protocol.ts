// Messages between the adapter (main thread) and the analysis worker.

import type { AnalysisOptions } from "./local-analyze.js";
import type { LocalReport } from "./local-report.js";

export interface WorkerRequest {
  files: Array<{ path: string; name: string }>;
  options: AnalysisOptions;
  /** Files whose headers state more audio than this are refused (see local-limits.ts). */
  maxAudioSeconds?: number;
}

export type WorkerMessage =
  | { type: "progress"; done: number; total: number | undefined }
  | { type: "done"; report: LocalReport };

// Starts one analysis in a worker thread, off the server's event loop.
//
// Where the worker entry lives: after `npm run build`, local-worker.js sits next to this
// module in dist/ and is started directly. Under vitest (which runs the .ts sources) there
// is only local-worker.ts: it is started through a tiny bootstrap that relies on Node's
// built-in type stripping (Node ≥ 22.18) and registers a resolve hook mapping our ".js"
// import specifiers to the ".ts" files beside them, since Node does not do that itself.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { LocalReport } from "./local-report.js";
import type { WorkerMessage, WorkerRequest } from "./local-worker-protocol.js";

export interface AnalysisRun {
  /** Resolves with the report; rejects if the worker crashes or is canceled. */
  readonly result: Promise<LocalReport>;
  /** Stops the worker at once. */
  cancel(): Promise<void>;
}

/**
 * A small young generation for the analysis worker: the decoders hand out a fresh buffer per
 * chunk, and with V8's default the garbage piles up between collections (an hour of Opus
 * peaked near 290 MB; with this, about 150 MB, for ~5% more CPU time).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 6 };

/** How long cancel waits for the worker to stop before going on without it. */
const CANCEL_WAIT_MS = 2_000;

export class AnalysisCanceledError extends Error {
  constructor() {
    super("analysis canceled");
    this.name = "AnalysisCanceledError";
  }
}

const TYPESCRIPT_BOOTSTRAP = `
const { registerHooks } = require("node:module");
const { existsSync } = require("node:fs");
const { fileURLToPath } = require("node:url");
const { workerData } = require("node:worker_threads");
if (typeof registerHooks !== "function") {
  throw new Error("running the local analyzer from TypeScript sources needs Node >= 22.15; run the built dist/ instead");
}
registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (parent && parent.startsWith("file:") && parent.endsWith(".ts") && specifier.endsWith(".js") && (specifier.startsWith(".") || specifier.startsWith("file:"))) {
      const url = new URL(specifier, parent);
      if (!existsSync(fileURLToPath(url))) {
        const typescript = url.href.slice(0, -3) + ".ts";
        if (existsSync(fileURLToPath(typescript))) return nextResolve(typescript, context);
      }
    }
    return nextResolve(specifier, context);
  },
});
import(workerData.entry).catch((error) => { throw error; });
`;

/** How the worker is started here: the built .js entry, or the .ts source via the bootstrap. */
export function resolveWorkerEntry(): { kind: "javascript" | "typescript"; url: URL } {
  const javascript = new URL("./local-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(javascript))) return { kind: "javascript", url: javascript };
  const typescript = new URL("./local-worker.ts", import.meta.url);
  if (existsSync(fileURLToPath(typescript))) return { kind: "typescript", url: typescript };
  throw new Error(`local analyzer worker entry not found next to ${fileURLToPath(import.meta.url)}`);
}

export function startAnalysisWorker(request: WorkerRequest, onProgress: (done: number, total: number | undefined) => void): AnalysisRun {
  const entry = resolveWorkerEntry();
  const workerData = { localAnalysis: request, entry: entry.url.href };
  const worker =
    entry.kind === "javascript"
      ? new Worker(entry.url, { workerData, resourceLimits: WORKER_LIMITS })
      : new Worker(TYPESCRIPT_BOOTSTRAP, { eval: true, workerData, resourceLimits: WORKER_LIMITS });
  let canceled = false;
  let settled = false;
  let rejectRun: (error: Error) => void = () => undefined;
  const result = new Promise<LocalReport>((resolve, reject) => {
    rejectRun = reject;
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "progress") onProgress(message.done, message.total);
      else if (message.type === "done") {
        settled = true;
        resolve(message.report);
        void worker.terminate();
      }
    });
    worker.on("error", (error) => {
      settled = true;
      reject(error);
    });
    worker.on("exit", (code) => {
      if (settled) return;
      settled = true;
      reject(canceled ? new AnalysisCanceledError() : new Error(`analysis worker exited with code ${code} before finishing`));
    });
  });
  // Nobody may be listening when a canceled run rejects.
  result.catch(() => undefined);
  return {
    result,
    async cancel() {
      canceled = true;
      // The run ends now, whatever the worker does: a worker stuck in a system call may take
      // long to terminate, and its job's slot must not wait for it.
      if (!settled) {
        settled = true;
        rejectRun(new AnalysisCanceledError());
      }
      const terminated = worker.terminate().then(() => undefined, () => undefined);
      await Promise.race([terminated, new Promise<void>((resolve) => setTimeout(resolve, CANCEL_WAIT_MS).unref())]);
    },
  };
}

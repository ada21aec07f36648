// The offline acoustic analyzer as a provider: no key, no network (except downloading a
// `url` input through the core's downloader), no system binary. Each job runs in a worker
// thread (a small pool), so the server keeps answering while it works.

import { randomBytes } from "node:crypto";
import os from "node:os";
import { formatCount, formatDuration } from "../../condense/format.js";
import { MediaJobsError, NotFoundError, UserInputError } from "../../errors.js";
import { isTerminal, type Job, type JobError, type JobInput, type JobSnapshot, type JobStatus } from "../../jobs/job.js";
import type {
  AdapterDeps,
  CallContext,
  CondenseInput,
  FetchedResults,
  MediaInput,
  ProviderAdapter,
  ProviderInfo,
  ResultSink,
  StartRequest,
  SubmissionLookup,
} from "../provider.js";
import { unreadableInput } from "../in-process-inputs.js";
import type { AnalysisOptions } from "./local-analyze.js";
import { condenseLocal, LOCAL_VIEWS } from "./local-condense.js";
import { openAudioSource } from "./local-decode.js";
import { AudioDecodeError } from "./local-errors.js";
import { overLengthLimit } from "./local-limits.js";
import { SUPPORTED_FORMATS_TEXT } from "./local-format.js";
import { LOCAL_OPTION_DESCRIPTIONS, parseLocalOptions } from "./local-options.js";
import { toIndex, type LocalReport } from "./local-report.js";
import { AnalysisCanceledError, startAnalysisWorker, type AnalysisRun } from "./local-worker-runner.js";

/** Time-sortable and unique: base36 milliseconds, then 8 random base36 characters. */
export function newLocalNativeId(now = Date.now()): string {
  const random = [...randomBytes(8)].map((byte) => (byte % 36).toString(36)).join("");
  return `${now.toString(36).padStart(9, "0")}${random}`;
}

interface LocalJobState {
  nativeId: string;
  status: JobStatus;
  providerStatus: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  inputs: JobInput[];
  options: AnalysisOptions;
  progress?: { done: number; total?: number; unit: "seconds" };
  report?: LocalReport;
  error?: JobError;
  warnings?: string[];
  run?: AnalysisRun;
  /** Downloads to remove once the analysis ends. */
  cleanups: Array<() => Promise<void>>;
  /** Settles when the job reaches a terminal state. */
  finished: Promise<void>;
  /** Aborts an in-flight download on cancel. */
  abort: AbortController;
  /** Started over from its stored inputs: this process did not start it (a restart, a takeover). */
  resumed: boolean;
}

export interface LocalAdapterOptions {
  /** Concurrent analyses (worker threads); default: cores − 1, at least 1, at most 4. */
  maxConcurrent?: number;
  /** Longest audio a file may hold; MEDIA_JOBS_MAX_ANALYSIS_HOURS by default. */
  maxAudioSeconds?: number;
  /** An analysis's time limit for this much audio (unknown until the worker has probed). */
  deadlineMs?: (audioSeconds: number | undefined) => number;
}

/** Before the audio's length is known: enough to open and probe the files. */
const DEADLINE_FLOOR_MS = 60_000;
/**
 * Per second of audio: the analyzer runs ~100× faster than real time, so 10× is room for a
 * slow, busy machine while a worker stuck on something is still stopped in minutes.
 */
const DEADLINE_MS_PER_AUDIO_SECOND = 100;

export function defaultAnalysisDeadlineMs(audioSeconds: number | undefined, capMs: number): number {
  return Math.min(capMs, DEADLINE_FLOOR_MS + (audioSeconds ?? 0) * DEADLINE_MS_PER_AUDIO_SECOND);
}

export function createLocalAdapter(deps: AdapterDeps, adapterOptions: LocalAdapterOptions = {}): ProviderAdapter {
  const jobs = new Map<string, LocalJobState>();
  const maxConcurrent = adapterOptions.maxConcurrent ?? Math.max(1, Math.min(4, os.availableParallelism() - 1));
  const maxAudioSeconds = adapterOptions.maxAudioSeconds ?? deps.config.maxAnalysisHours * 3600;
  const deadlineMs = adapterOptions.deadlineMs ?? ((seconds: number | undefined) => defaultAnalysisDeadlineMs(seconds, deps.config.analysisTimeoutMs));
  let running = 0;
  const waiting: Array<() => void> = [];
  let closed = false;

  const acquireSlot = async (): Promise<void> => {
    if (running < maxConcurrent) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const releaseSlot = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };

  const snapshotOf = (state: LocalJobState): JobSnapshot => ({
    nativeId: state.nativeId,
    status: state.status,
    providerStatus: state.providerStatus,
    task: "acoustic",
    createdAt: state.createdAt,
    startedAt: state.startedAt,
    endedAt: state.endedAt,
    progress: state.progress,
    error: state.error,
    warnings: state.warnings,
    inputs: state.inputs,
  });

  const end = (state: LocalJobState, status: "succeeded" | "failed" | "canceled", detail: { error?: JobError; warnings?: string[] } = {}) => {
    if (isTerminal(state.status)) return;
    state.status = status;
    state.providerStatus = status;
    state.endedAt = new Date().toISOString();
    if (detail.error) state.error = detail.error;
    if (detail.warnings?.length) state.warnings = detail.warnings;
    state.run = undefined;
  };

  const cleanup = async (state: LocalJobState) => {
    const cleanups = state.cleanups.splice(0);
    await Promise.allSettled(cleanups.map((remove) => remove()));
  };

  /** Turns inputs into local files (downloading URLs) and analyses them in a worker. */
  const execute = async (state: LocalJobState): Promise<void> => {
    await acquireSlot();
    let deadline: NodeJS.Timeout | undefined;
    let timedOutAfterMs: number | undefined;
    try {
      if (isTerminal(state.status) || closed) return;
      state.status = "running";
      state.startedAt ??= new Date().toISOString();
      // One line per analysis run: with several servers on one data dir, a job runs in one only.
      deps.logger.debug(`local job ${state.nativeId} analysing`, { pid: process.pid });
      // A file is read long after start_job checked it, perhaps on another machine: one that is
      // not here fails the job plainly (rather than yield a report with a file missing).
      const unreadable = await unreadableInput(state.inputs, state.resumed);
      if (unreadable) {
        end(state, "failed", { error: unreadable });
        deps.logger.warning(`local job ${state.nativeId} cannot read its input here`, { error: unreadable.message });
        return;
      }
      const files: Array<{ path: string; name: string }> = [];
      for (const input of state.inputs) {
        if (input.kind === "path") files.push({ path: input.path, name: input.name });
        else if (input.kind === "url") {
          state.providerStatus = "downloading";
          const downloaded = await deps.downloader.download(input.url, { maxBytes: deps.config.maxDownloadBytes, signal: state.abort.signal });
          state.cleanups.push(() => downloaded.cleanup());
          if (isTerminal(state.status)) return;
          files.push({ path: downloaded.path, name: nameFromUrl(input.url) });
        }
      }
      state.providerStatus = "analyzing";
      // Every analysis has a deadline, set again once the worker knows how much audio there is.
      const analysisStarted = Date.now();
      let limitMs = deadlineMs(undefined);
      let knownSeconds: number | undefined;
      const armDeadline = () => {
        clearTimeout(deadline);
        deadline = setTimeout(() => {
          timedOutAfterMs = limitMs;
          void run.cancel();
        }, Math.max(0, analysisStarted + limitMs - Date.now()));
      };
      const run = startAnalysisWorker({ files, options: state.options, maxAudioSeconds }, (done, total) => {
        state.progress = { done: Math.round(done * 10) / 10, ...(total ? { total: Math.round(total * 10) / 10 } : {}), unit: "seconds" };
        if (total !== undefined && total !== knownSeconds) {
          knownSeconds = total;
          limitMs = deadlineMs(total);
          armDeadline();
        }
      });
      state.run = run;
      armDeadline();
      const report = await run.result;
      state.report = report;
      if (state.progress?.total !== undefined) state.progress = { ...state.progress, done: state.progress.total };
      if (report.files.length === 0) {
        const first = report.failures[0];
        end(state, "failed", {
          error: {
            code: first?.code ?? "analysis_failed",
            message: report.failures.map((failure) => failure.message).join("; ") || "no file could be analysed",
          },
        });
      } else {
        end(state, "succeeded", { warnings: report.failures.map((failure) => `${failure.name} not analysed: ${failure.message}`) });
      }
    } catch (error) {
      if (timedOutAfterMs !== undefined && !isTerminal(state.status)) {
        end(state, "failed", {
          error: {
            code: "analysis_timeout",
            message: `the analysis was stopped at its deadline of ${(timedOutAfterMs / 1000).toFixed(timedOutAfterMs < 10_000 ? 1 : 0)} s (60 s plus 1/10 of the audio's length, at most MEDIA_JOBS_ANALYSIS_TIMEOUT_S); check the files, or raise the cap`,
          },
        });
        deps.logger.warning(`local job ${state.nativeId} stopped at its deadline (${Math.round(timedOutAfterMs / 1000)} s)`);
        return;
      }
      if (error instanceof AnalysisCanceledError || state.status === "canceled") return;
      end(state, "failed", { error: toJobError(error) });
      deps.logger.warning(`local job ${state.nativeId} failed`, { error: error instanceof Error ? error.message : String(error) });
    } finally {
      clearTimeout(deadline);
      releaseSlot();
      await cleanup(state);
    }
  };

  const launch = (nativeId: string, inputs: JobInput[], options: AnalysisOptions, createdAt: string, resumed: boolean): LocalJobState => {
    const state: LocalJobState = {
      nativeId,
      status: "queued",
      providerStatus: "queued",
      createdAt,
      inputs,
      options,
      cleanups: [],
      finished: Promise.resolve(),
      abort: new AbortController(),
      resumed,
    };
    jobs.set(nativeId, state);
    state.finished = execute(state);
    return state;
  };

  const adapter: ProviderAdapter = {
    id: "local",
    pollPolicy: { initialDelayMs: 300, maxDelayMs: 3_000, factor: 1.5 },

    describe(): ProviderInfo {
      return {
        id: "local",
        name: "Local acoustic analyzer",
        description:
          "Offline acoustic analysis on this machine (no key, nothing uploaded): speech activity and pauses, loudness (EBU R128 / BS.1770-4: LUFS, LRA, true peak, clipping), pitch and voicing (autocorrelation with path tracking, as Praat's To Pitch) and speaking rate (de Jong & Wempe syllable nuclei).",
        configured: true,
        tasks: [
          {
            task: "acoustic",
            description: `Analyse local audio files or downloaded URLs (${SUPPORTED_FORMATS_TEXT}); several files per job give per-file results.`,
            inputs: ["path", "url"],
            options: [...LOCAL_OPTION_DESCRIPTIONS],
            views: [...LOCAL_VIEWS],
            filters: ["file", "start_s", "end_s"],
          },
        ],
        // Plain http only where private URLs are allowed (tests against loopback servers).
        urlSchemes: deps.config.allowPrivateUrls ? ["https", "http"] : ["https"],
        canCancel: true,
        canListRemote: false,
        limits: [`formats: ${SUPPORTED_FORMATS_TEXT} (detected from the bytes, not the extension)`, "runs on this machine's CPU, about 100× faster than real time or better"],
      };
    },

    async start(request: StartRequest): Promise<JobSnapshot> {
      if (request.task !== "acoustic") throw new UserInputError(`the local analyzer does task "acoustic", not "${request.task}"`);
      const options = parseLocalOptions(request.options);
      if (request.media.length === 0) throw new UserInputError("give at least one media item: {path} of a local audio file or {url}");
      const inputs: JobInput[] = [];
      for (const item of request.media) inputs.push(await validateInput(item, maxAudioSeconds));
      const state = launch(newLocalNativeId(), inputs, options, new Date().toISOString(), false);
      return snapshotOf(state);
    },

    // A local job lives only in this process until its row is stored: an interrupted start
    // left nothing running and nothing to pay for.
    async findSubmission(): Promise<SubmissionLookup> {
      return { kind: "absent", certain: true };
    },

    async get(nativeId: string, job: Job | undefined): Promise<JobSnapshot> {
      const state = jobs.get(nativeId);
      if (state) return snapshotOf(state);
      if (!job) throw new NotFoundError(`no local job ${nativeId} here`);
      if (isTerminal(job.status)) return { nativeId, status: job.status, providerStatus: job.providerStatus };
      // The server restarted while this job ran, or this one took it over from another that
      // stopped: start it over from its stored inputs.
      deps.logger.info(`local job ${nativeId} resumed from its inputs after a restart or a takeover`);
      return snapshotOf(launch(nativeId, job.inputs, parseLocalOptions(job.options), job.createdAt, true));
    },

    async fetchResults(job: Job, sink: ResultSink): Promise<FetchedResults> {
      let state = jobs.get(job.nativeId);
      if (!state?.report) {
        // Results not in memory (a restart between success and fetch): analyse again.
        state = launch(job.nativeId, job.inputs, parseLocalOptions(job.options), job.createdAt, true);
        await state.finished;
        if (!state.report || state.status !== "succeeded") {
          throw new MediaJobsError("unsupported", `the local analysis of job ${job.id} could not be repeated: ${state.error?.message ?? "unknown reason"}`);
        }
      }
      const report = state.report!;
      await sink.putPart("report.json", JSON.stringify(report), "application/json");
      // The full report lives in the store now; keep memory flat for long-running servers.
      state.report = undefined;
      const seconds = report.files.reduce((sum, file) => sum + file.durationSeconds, 0);
      const segments = report.files.reduce((sum, file) => sum + file.segments.length, 0);
      return {
        index: toIndex(report),
        description: `${report.files.length} file${report.files.length === 1 ? "" : "s"}, ${formatDuration(seconds)} of audio, ${formatCount(segments)} speech segment${segments === 1 ? "" : "s"}`,
      };
    },

    // Every state here until its job settles in the store (the core then abandons it): the map
    // does not grow with every job a long-lived server ran, and a job another process took over
    // keeps no worker or report here.
    runningHere(): string[] {
      return [...jobs.keys()];
    },

    async abandon(nativeId: string): Promise<boolean> {
      const state = jobs.get(nativeId);
      if (!state) return false;
      // Forgotten first: a look at the job from now on starts it over here (when this process
      // holds it again) instead of reading what this run did.
      jobs.delete(nativeId);
      const wasRunning = !isTerminal(state.status);
      // A job still waiting for a worker has nothing to clean up, and its slot may be far off.
      const started = state.status === "running";
      if (wasRunning) {
        const run = state.run;
        end(state, "canceled");
        state.abort.abort();
        await run?.cancel();
      }
      state.report = undefined;
      if (started) await state.finished;
      return wasRunning;
    },

    async cancel(job: Job): Promise<JobSnapshot> {
      const state = jobs.get(job.nativeId);
      if (!state) return { nativeId: job.nativeId, status: "canceled", providerStatus: "canceled" };
      if (!isTerminal(state.status)) {
        const run = state.run;
        end(state, "canceled");
        state.abort.abort();
        await run?.cancel();
      }
      return snapshotOf(state);
    },

    condense(input: CondenseInput) {
      return condenseLocal(input);
    },

    async close(): Promise<void> {
      closed = true;
      const states = [...jobs.values()];
      for (const state of states) {
        if (!isTerminal(state.status)) {
          state.abort.abort();
          await state.run?.cancel();
        }
      }
      await Promise.allSettled(states.map((state) => state.finished));
    },
  };
  return adapter;
}

async function validateInput(item: MediaInput, maxAudioSeconds: number): Promise<JobInput> {
  switch (item.kind) {
    case "path":
      try {
        // Open now, so an unsupported file fails start_job at once with its real format named,
        // and one longer than the analyzer can hold in memory with its length and the limit.
        const source = await openAudioSource(item.path, item.name);
        await source.close();
        // A WAV's length is its data size (exact, and bounded by the file); a compressed file's
        // header may be damaged or lie, so those are held to the limit while decoding instead.
        const tooLong = source.format === "wav" ? overLengthLimit(item.name, source.estimatedSeconds, maxAudioSeconds) : undefined;
        if (tooLong) throw tooLong;
      } catch (error) {
        if (error instanceof AudioDecodeError) throw new UserInputError(error.message);
        throw error;
      }
      return { kind: "path", path: item.path, name: item.name, bytes: item.bytes };
    case "url":
      return { kind: "url", url: item.url };
    default:
      throw new UserInputError(`the local analyzer reads audio from {path} or {url}, not {${item.kind}}`);
  }
}

function nameFromUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const last = parsed.pathname.split("/").filter(Boolean).pop();
    return last ? decodeURIComponent(last) : parsed.hostname;
  } catch {
    return "download";
  }
}

function toJobError(error: unknown): JobError {
  if (error instanceof AudioDecodeError) return { code: error.code, message: error.message };
  if (error instanceof MediaJobsError) return { code: error.code, message: error.message };
  return { code: "analysis_failed", message: "the local analysis stopped unexpectedly; see the server log" };
}

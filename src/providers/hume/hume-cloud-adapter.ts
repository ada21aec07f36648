// Hume's current Expression Measurement API as two in-process jobs: audio_expression (decode
// any audio the local analyzer reads, resample to PCM16/16 kHz/mono, upload in pieces ≤ 25 MB
// cut at pauses, merge with exact offsets) and image_expression (JPEGs batched ≤ 25 MB).
// The vendor is synchronous, so the job is ours, run like the local analyzer's: saved before
// start_job returns, run when the core first looks at it, every answered piece stored at once,
// resumed after a restart from the first unanswered piece (none is sent twice), cancelable.

import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { z } from "zod";
import { formatCount, formatDuration, sanitizeVendorText } from "../../condense/format.js";
import type { CondensedView } from "../../condense/view.js";
import { MediaJobsError, NotConfiguredError, NotFoundError, ProviderError, UserInputError } from "../../errors.js";
import { isTerminal, type Job, type JobError, type JobInput, type JobSnapshot, type JobStatus } from "../../jobs/job.js";
import { createVendorBudget } from "../http/request-budget.js";
import type { VendorHttpClient } from "../http/types.js";
import { abortableSleep } from "../http/vendor-http-client.js";
import { sniffFile } from "../local/local-decode.js";
import { AudioDecodeError } from "../local/local-errors.js";
import { SUPPORTED_FORMATS_TEXT } from "../local/local-format.js";
import { newLocalNativeId } from "../local/local-adapter.js";
import { unreadableInput } from "../in-process-inputs.js";
import type { AdapterDeps, CondenseInput, FetchedResults, JobPartStore, MediaInput, ResultSink, StartRequest, TaskInfo } from "../provider.js";
import {
  CloudShapeError,
  HUME_CLOUD_MAX_BODY_BYTES,
  HUME_CLOUD_MAX_IMAGE_BYTES,
  HUME_CLOUD_SAMPLE_RATE,
  HUME_CLOUD_TIMER_MS,
  humeAudioOptionsSchema,
  humeImageOptionsSchema,
  isHumeCloudTask,
  parseCloudOptions,
  readCloudAudioAnswer,
  readCloudImageAnswer,
  type HumeCloudTask,
} from "./hume-cloud-api.js";
import { planChunks, type ChunkSpan } from "./hume-cloud-chunks.js";
import { buildAudioIndex, buildImageIndex, type StoredAudioChunk, type StoredImageBatch } from "./hume-cloud-index.js";
import { condenseCloudAudio, CLOUD_AUDIO_VIEWS } from "./hume-cloud-condense-audio.js";
import { condenseCloudImages, CLOUD_IMAGE_VIEWS } from "./hume-cloud-condense-images.js";
import { decodeMono16k } from "./hume-cloud-decode.js";
import { describeJpeg } from "./hume-cloud-jpeg.js";
import { buildMultipart, multipartOverhead, newBoundary, pcm16Wav, WAV_HEADER_BYTES } from "./hume-cloud-multipart.js";

const AUDIO_PATH = "/v1/expression/audio/file";
const IMAGE_PATH = "/v1/expression/video/file";
/** Our id prefix: tells a current-API job from a v0 job id. */
const NATIVE_PREFIX = "em-";
/** A synchronous measurement of 13 minutes of audio can take minutes before the first header byte. */
const UPLOAD_TIMEOUT_MS = 20 * 60_000;
/** Rounds of whole-request retries after the HTTP layer's own, for retryable failures. */
const JOB_LEVEL_RETRIES = 4;
/**
 * Hume documents no request rate for these endpoints; its sibling product on the same gateway
 * allows 60 requests a minute per organization. A 429's Retry-After holds every request we
 * send to Hume, from every job, through this one budget.
 */
const REQUESTS_PER_MINUTE = 60;

const PLAN_PART = "plan.json";
const chunkPart = (index: number) => `chunk-${String(index + 1).padStart(4, "0")}.json`;
const batchPart = (index: number) => `images-${String(index + 1).padStart(4, "0")}.json`;

interface CloudJobState {
  nativeId: string;
  jobId: string;
  task: HumeCloudTask;
  status: JobStatus;
  providerStatus: string;
  startedAt?: string;
  endedAt?: string;
  progress?: { done: number; total?: number; unit: string };
  error?: JobError;
  warnings?: string[];
  abort: AbortController;
  finished: Promise<void>;
}

export interface HumeCloudTasks {
  taskInfos(): TaskInfo[];
  owns(nativeId: string, job: Job | undefined): boolean;
  start(request: StartRequest): Promise<JobSnapshot>;
  get(nativeId: string, job: Job | undefined): Promise<JobSnapshot>;
  fetchResults(job: Job, sink: ResultSink): Promise<FetchedResults>;
  cancel(job: Job): Promise<JobSnapshot>;
  runningHere(): string[];
  abandon(nativeId: string): Promise<boolean>;
  condense(input: CondenseInput): CondensedView;
  close(): Promise<void>;
}

interface AudioPlan {
  sampleRate: number;
  totalSamples: number;
  timerMs: number;
  chunks: ChunkSpan[];
}

interface ImagePlan {
  names: string[];
  /** [first image, count] per request. */
  batches: Array<[number, number]>;
}

function memoryParts(): JobPartStore {
  const parts = new Map<string, Map<string, Buffer>>();
  return {
    put: async (id, name, data) => void (parts.get(id) ?? parts.set(id, new Map()).get(id)!).set(name, Buffer.from(typeof data === "string" ? Buffer.from(data, "utf8") : data)),
    get: async (id, name) => parts.get(id)?.get(name),
    list: async (id) => [...(parts.get(id)?.keys() ?? [])],
  };
}

async function readJsonPart<T>(parts: JobPartStore, id: string, name: string): Promise<T | undefined> {
  const data = await parts.get(id, name);
  return data ? (JSON.parse(data.toString("utf8")) as T) : undefined;
}

function nameFromUrl(url: string): string {
  try {
    const last = new URL(url).pathname.split("/").filter(Boolean).pop();
    return last ? decodeURIComponent(last) : "download";
  } catch {
    return "download";
  }
}

/**
 * An image's bytes (at most one byte over the limit, enough to refuse it), read the way the
 * local decoder opens media: a FIFO cannot block the open, a symlink swapped in is refused,
 * and only a regular file is read.
 */
async function readImage(path: string, name: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserInputError(code === "ELOOP" ? `${name} is a symbolic link, which is not followed; pass the file itself` : `${name} could not be opened (${code ?? "read error"})`);
  }
  try {
    if (!(await handle.stat()).isFile()) throw new UserInputError(`${name} is not a regular file`);
    const buffer = Buffer.alloc(HUME_CLOUD_MAX_IMAGE_BYTES + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** Stopped on purpose (cancel, shutdown): not a failure. */
class StoppedError extends Error {}

export interface HumeCloudOptions {
  /** Largest request body; Hume's 25 MB unless a test wants smaller pieces. */
  maxBodyBytes?: number;
}

export function createHumeCloudTasks(deps: AdapterDeps, cloudOptions: HumeCloudOptions = {}): HumeCloudTasks {
  const maxBodyBytes = Math.min(HUME_CLOUD_MAX_BODY_BYTES, cloudOptions.maxBodyBytes ?? HUME_CLOUD_MAX_BODY_BYTES);
  const { config } = deps;
  const apiKey = config.hume.apiKey;
  const parts = deps.jobParts ?? memoryParts();
  const states = new Map<string, CloudJobState>();
  const budget = createVendorBudget("hume-cloud", REQUESTS_PER_MINUTE, deps);
  let client: VendorHttpClient | undefined;
  let closed = false;

  const requireKey = (): string => {
    if (!apiKey) throw new NotConfiguredError("Hume is not configured: set HUME_API_KEY (a key for Hume's current Expression Measurement API)");
    return apiKey;
  };
  const api = (): VendorHttpClient => {
    if (client) return client;
    const key = requireKey();
    client = deps.createHttpClient({
      provider: "hume",
      apiKeyEnv: "HUME_API_KEY",
      baseUrl: config.hume.cloudBaseUrl,
      // Exactly one credential header per request (docs: authentication).
      authHeaders: () => ({ "X-Hume-Api-Key": key }),
      secrets: [key],
      timeouts: { totalMs: UPLOAD_TIMEOUT_MS, headersMs: UPLOAD_TIMEOUT_MS, bodyMs: 5 * 60_000 },
      budget,
    });
    return client;
  };

  const snapshotOf = (state: CloudJobState): JobSnapshot => ({
    nativeId: state.nativeId,
    status: state.status,
    providerStatus: state.providerStatus,
    task: state.task,
    startedAt: state.startedAt,
    endedAt: state.endedAt,
    progress: state.progress,
    error: state.error,
    warnings: state.warnings,
  });

  const end = (state: CloudJobState, status: "succeeded" | "failed" | "canceled", error?: JobError) => {
    if (isTerminal(state.status)) return;
    state.status = status;
    state.providerStatus = status;
    state.endedAt = new Date().toISOString();
    if (error) state.error = error;
  };

  const checkStopped = (state: CloudJobState) => {
    if (state.abort.signal.aborted || isTerminal(state.status) || closed) throw new StoppedError();
  };

  /** What a refusal means, in the vendor's terms; the HTTP layer already redacted the key. */
  const jobErrorOf = (error: unknown, what: string): JobError => {
    if (error instanceof ProviderError) {
      const status = error.status;
      if (status === 401 || status === 403) {
        return {
          code: "provider_unauthorized",
          message: `Hume refused the API key (${status}) for ${what}: check HUME_API_KEY — the current Expression Measurement API (limited release) needs a key of an organization that has access`,
        };
      }
      if (status === 413) return { code: "provider_too_large", message: `Hume refused ${what} as too large (413); its limit is 25 MB for the whole request. ${error.message}` };
      if (status === 400 || status === 415 || status === 422) {
        return { code: "provider_rejected", message: `Hume refused ${what} (${status}), naming the field or format at fault: ${error.message}` };
      }
      return { code: error.retryable ? "provider_unavailable" : "provider_error", message: `${what} failed: ${error.message}` };
    }
    if (error instanceof CloudShapeError) return { code: "provider_bad_response", message: `Hume's answer to ${what} could not be read: ${error.message}` };
    if (error instanceof AudioDecodeError) return { code: error.code, message: error.message };
    if (error instanceof MediaJobsError) return { code: error.code, message: error.message };
    return { code: "hume_job_failed", message: `the Hume job stopped unexpectedly during ${what}; see the server log` };
  };

  /** One upload, retried on retryable failures beyond the HTTP layer's own attempts. */
  const post = async (state: CloudJobState, path: string, body: Uint8Array, contentType: string): Promise<unknown> => {
    for (let round = 0; ; round++) {
      checkStopped(state);
      try {
        const response = await api().json(
          // The measurement is a pure function of the bytes: sending it again after a 5xx
          // cannot start anything twice, so it is retried like a read.
          { method: "POST", path, body, headers: { "content-type": contentType }, idempotent: true, signal: state.abort.signal, maxBodyBytes: 512 * 1024 * 1024 },
          z.unknown(),
        );
        return response.body;
      } catch (error) {
        if (state.abort.signal.aborted || closed) throw new StoppedError();
        if (!(error instanceof ProviderError) || !error.retryable || round >= JOB_LEVEL_RETRIES) throw error;
        const waitMs = Math.max((error.retryAfterSeconds ?? 0) * 1000, Math.min(60_000, 2_000 * 2 ** round));
        deps.logger.warning(`hume job ${state.nativeId}: upload failed, retrying in ${Math.round(waitMs / 1000)} s`, { error: error.message });
        state.providerStatus = "waiting to retry";
        await abortableSleep(waitMs, state.abort.signal);
      }
    }
  };

  /** The input as a local file: the path itself, or a download removed afterwards. */
  const localFileOf = async (input: JobInput, state: CloudJobState, cleanups: Array<() => Promise<void>>): Promise<{ path: string; name: string }> => {
    if (input.kind === "path") return { path: input.path, name: input.name };
    if (input.kind !== "url") throw new UserInputError(`Hume reads {path} or {url} inputs here, not {${input.kind}}`);
    state.providerStatus = "downloading";
    const downloaded = await deps.downloader.download(input.url, { maxBytes: config.maxDownloadBytes, signal: state.abort.signal });
    cleanups.push(() => downloaded.cleanup());
    return { path: downloaded.path, name: nameFromUrl(input.url) };
  };

  const runAudio = async (state: CloudJobState, job: Job, cleanups: Array<() => Promise<void>>): Promise<void> => {
    const options = humeAudioOptionsSchema.parse(job.options ?? {});
    const input = job.inputs[0];
    if (!input) throw new UserInputError("the job has no input");
    const file = await localFileOf(input, state, cleanups);
    checkStopped(state);
    state.providerStatus = "decoding";
    const mono = await decodeMono16k(file.path, file.name, state.abort.signal);
    checkStopped(state);
    const total = mono.length / HUME_CLOUD_SAMPLE_RATE;
    const timerMs = options.measurement_timer_ms ?? HUME_CLOUD_TIMER_MS.default;
    const boundary = newBoundary();
    const config = { measurement_timer_ms: timerMs };

    let plan = await readJsonPart<AudioPlan>(parts, state.jobId, PLAN_PART);
    if (!plan) {
      state.providerStatus = "planning";
      const overhead = multipartOverhead(boundary, [{ filename: "chunk-0001.wav", contentType: "audio/wav" }], config);
      const maxSamples = Math.floor((maxBodyBytes - overhead - WAV_HEADER_BYTES) / 2);
      plan = { sampleRate: HUME_CLOUD_SAMPLE_RATE, totalSamples: mono.length, timerMs, chunks: planChunks(mono, maxSamples) };
      // Stored before the first upload: a resumed job cuts exactly where this one did.
      await parts.put(state.jobId, PLAN_PART, JSON.stringify(plan), "application/json");
    } else if (plan.totalSamples !== mono.length) {
      throw new MediaJobsError(
        "provider_error",
        `${file.name} decodes to ${formatDuration(total)} now but to ${formatDuration(plan.totalSamples / HUME_CLOUD_SAMPLE_RATE)} when the job started (the file changed?); start a new job`,
      );
    }
    const answered = new Set(await parts.list(state.jobId));
    const covered = () => plan!.chunks.reduce((sum, span, index) => sum + (answered.has(chunkPart(index)) ? span.end - span.start : 0), 0);
    const report = () => {
      state.progress = { done: Math.round((covered() / HUME_CLOUD_SAMPLE_RATE) * 10) / 10, total: Math.round(total * 10) / 10, unit: "seconds" };
    };
    report();
    for (const [index, span] of plan.chunks.entries()) {
      const name = chunkPart(index);
      if (answered.has(name)) continue;
      checkStopped(state);
      const what = `audio piece ${index + 1} of ${plan.chunks.length} (${formatDuration(span.start / HUME_CLOUD_SAMPLE_RATE)}–${formatDuration(span.end / HUME_CLOUD_SAMPLE_RATE)})`;
      state.providerStatus = `measuring piece ${index + 1}/${plan.chunks.length}`;
      const wav = pcm16Wav(mono.subarray(span.start, span.end));
      const { body, contentType } = buildMultipart(boundary, [{ filename: `chunk-${String(index + 1).padStart(4, "0")}.wav`, contentType: "audio/wav", data: wav }], config);
      if (body.byteLength > maxBodyBytes) throw new MediaJobsError("provider_error", `${what} came to ${body.byteLength} bytes, over Hume's 25 MB; this is a bug`);
      let response: unknown;
      try {
        response = await post(state, AUDIO_PATH, body, contentType);
        readCloudAudioAnswer(response);
      } catch (error) {
        if (error instanceof StoppedError) throw error;
        const jobError = jobErrorOf(error, what);
        throw Object.assign(new MediaJobsError("provider_error", jobError.message), { jobError });
      }
      const stored: StoredAudioChunk = { index, start: span.start, end: span.end, response };
      await parts.put(state.jobId, name, JSON.stringify(stored), "application/json");
      answered.add(name);
      report();
    }
  };

  const runImages = async (state: CloudJobState, job: Job, cleanups: Array<() => Promise<void>>): Promise<void> => {
    const options = humeImageOptionsSchema.parse(job.options ?? {});
    const face: Record<string, unknown> = {};
    if (options.face_threshold !== undefined) face.threshold = options.face_threshold;
    if (options.face_min_size !== undefined) face.min_size = options.face_min_size;
    const config = Object.keys(face).length > 0 ? { face } : undefined;
    const images: Array<{ name: string; data: Uint8Array }> = [];
    for (const input of job.inputs) {
      const file = await localFileOf(input, state, cleanups);
      checkStopped(state);
      const data = await readImage(file.path, file.name);
      const problem = describeJpeg(data, file.name);
      if (typeof problem === "string") throw new UserInputError(problem);
      images.push({ name: file.name, data });
    }
    const boundary = newBoundary();
    const filename = (index: number) => `image-${String(index + 1).padStart(4, "0")}.jpg`;
    let plan = await readJsonPart<ImagePlan>(parts, state.jobId, PLAN_PART);
    if (!plan) {
      const batches: Array<[number, number]> = [];
      let first = 0;
      while (first < images.length) {
        let count = 0;
        let bytes = 0;
        while (first + count < images.length) {
          const next = images[first + count]!;
          const files = images.slice(first, first + count + 1).map((_, offset) => ({ filename: filename(first + offset), contentType: "image/jpeg" }));
          if (count > 0 && bytes + next.data.byteLength + multipartOverhead(boundary, files, config) > maxBodyBytes) break;
          bytes += next.data.byteLength;
          count++;
        }
        batches.push([first, count]);
        first += count;
      }
      plan = { names: images.map((image) => image.name), batches };
      await parts.put(state.jobId, PLAN_PART, JSON.stringify(plan), "application/json");
    }
    const answered = new Set(await parts.list(state.jobId));
    const report = () => {
      const done = plan!.batches.reduce((sum, [, count], index) => sum + (answered.has(batchPart(index)) ? count : 0), 0);
      state.progress = { done, total: images.length, unit: "images" };
    };
    report();
    for (const [index, [first, count]] of plan.batches.entries()) {
      const name = batchPart(index);
      if (answered.has(name)) continue;
      checkStopped(state);
      const what = `images ${first + 1}–${first + count} of ${images.length}`;
      state.providerStatus = `measuring ${what}`;
      const files = images.slice(first, first + count).map((image, offset) => ({ filename: filename(first + offset), contentType: "image/jpeg", data: image.data }));
      const { body, contentType } = buildMultipart(boundary, files, config);
      let response: unknown;
      try {
        response = await post(state, IMAGE_PATH, body, contentType);
        readCloudImageAnswer(response, count);
      } catch (error) {
        if (error instanceof StoppedError) throw error;
        const jobError = jobErrorOf(error, what);
        throw Object.assign(new MediaJobsError("provider_error", jobError.message), { jobError });
      }
      const stored: StoredImageBatch = { first, count, response };
      await parts.put(state.jobId, name, JSON.stringify(stored), "application/json");
      answered.add(name);
      report();
    }
  };

  const launch = (job: Job): CloudJobState => {
    const state: CloudJobState = {
      nativeId: job.nativeId,
      jobId: job.id,
      task: job.task as HumeCloudTask,
      status: "running",
      providerStatus: "starting",
      startedAt: job.startedAt ?? new Date().toISOString(),
      abort: new AbortController(),
      finished: Promise.resolve(),
    };
    states.set(job.nativeId, state);
    state.finished = (async () => {
      const cleanups: Array<() => Promise<void>> = [];
      try {
        // A job first looked at while queued was started by this process; a running one is
        // resumed here (a restart, or a takeover from a server that stopped).
        const unreadable = await unreadableInput(job.inputs, job.status === "running");
        if (unreadable) throw Object.assign(new MediaJobsError("provider_error", unreadable.message), { jobError: unreadable });
        if (state.task === "audio_expression") await runAudio(state, job, cleanups);
        else await runImages(state, job, cleanups);
        end(state, "succeeded");
      } catch (error) {
        if (error instanceof StoppedError || state.abort.signal.aborted || closed) return;
        const jobError = (error as { jobError?: JobError }).jobError ?? jobErrorOf(error, state.task === "audio_expression" ? "the audio" : "the images");
        end(state, "failed", jobError);
        deps.logger.warning(`hume job ${state.nativeId} failed`, { code: jobError.code, error: jobError.message });
      } finally {
        await Promise.allSettled(cleanups.map((remove) => remove()));
      }
    })();
    return state;
  };

  const validateAudioInput = async (media: MediaInput[]): Promise<JobInput[]> => {
    if (media.length !== 1) throw new UserInputError(`audio_expression takes one recording per job ({path} or {url}); got ${media.length} media items — start one job per recording`);
    const item = media[0]!;
    if (item.kind === "path") {
      try {
        await sniffFile(item.path, item.name);
      } catch (error) {
        if (error instanceof AudioDecodeError) throw new UserInputError(error.message);
        throw error;
      }
      return [{ kind: "path", path: item.path, name: item.name, bytes: item.bytes }];
    }
    if (item.kind === "url") {
      if (!/^https?:\/\//i.test(item.url)) throw new UserInputError(`media[0]: audio_expression downloads http(s) URLs only; got "${sanitizeVendorText(item.url, 80)}"`);
      return [{ kind: "url", url: item.url }];
    }
    throw new UserInputError(`audio_expression reads {path} or {url}, not {${item.kind}}`);
  };

  const validateImageInputs = async (media: MediaInput[]): Promise<JobInput[]> => {
    if (media.length === 0) throw new UserInputError("image_expression needs at least one JPEG image: {path} or {url}");
    const inputs: JobInput[] = [];
    for (const [position, item] of media.entries()) {
      if (item.kind === "url") {
        if (!/^https?:\/\//i.test(item.url)) throw new UserInputError(`media[${position}]: image_expression downloads http(s) URLs only`);
        inputs.push({ kind: "url", url: item.url });
        continue;
      }
      if (item.kind !== "path") throw new UserInputError(`media[${position}]: image_expression reads {path} or {url}, not {${item.kind}}`);
      if (item.bytes > HUME_CLOUD_MAX_IMAGE_BYTES) {
        throw new UserInputError(`media[${position}]: ${item.name} is ${formatCount(item.bytes)} bytes; Hume accepts JPEGs of at most 2 MB each (re-encode it smaller)`);
      }
      const problem = describeJpeg(await readImage(item.path, item.name), item.name);
      if (typeof problem === "string") throw new UserInputError(`media[${position}]: ${problem}`);
      inputs.push({ kind: "path", path: item.path, name: item.name, bytes: item.bytes });
    }
    return inputs;
  };

  return {
    taskInfos(): TaskInfo[] {
      return [
        {
          task: "audio_expression",
          description: `Hume's current Expression Measurement API (api.cloud.hume.ai; works with today's keys): expression in speech — 415 expressions and 190 voice attributes per measurement, measured every 3–10 s of speech over each utterance. One recording per job, any length, any format the local analyzer decodes (${SUPPORTED_FORMATS_TEXT}); converted here to 16 kHz PCM and sent in pieces of ≤ 25 MB (~13 min) cut at pauses. Cancelable; resumes after a restart.`,
          inputs: ["path", "url"],
          options: [`measurement_timer_ms: ms of speech between measurements, ${HUME_CLOUD_TIMER_MS.min}–${HUME_CLOUD_TIMER_MS.max} (${HUME_CLOUD_TIMER_MS.default})`],
          views: [...CLOUD_AUDIO_VIEWS],
          filters: ["start_s/end_s", "top_k"],
        },
        {
          task: "image_expression",
          description:
            "Hume's current Expression Measurement API (api.cloud.hume.ai; works with today's keys): faces in JPEG images — per face a box, 48 expressions and 27 descriptions (the largest 2 faces of each image are measured). JPEG only (≤ 2 MB, ≤ 3840×2160 each); sent in batches of ≤ 25 MB. Cancelable.",
          inputs: ["path", "url"],
          options: ["face_threshold: detection confidence below which a face is skipped, 0..1 (0.9)", "face_min_size: smallest face box side in px (60)"],
          views: [...CLOUD_IMAGE_VIEWS],
          filters: ["file (0-based index or name)", "top_k"],
        },
      ];
    },

    owns(nativeId: string, job: Job | undefined): boolean {
      return job ? isHumeCloudTask(job.task) : nativeId.startsWith(NATIVE_PREFIX);
    },

    async start(request: StartRequest): Promise<JobSnapshot> {
      requireKey();
      const task = request.task as HumeCloudTask;
      let inputs: JobInput[];
      if (task === "audio_expression") {
        parseCloudOptions(humeAudioOptionsSchema, request.options, `measurement_timer_ms ${HUME_CLOUD_TIMER_MS.min}–${HUME_CLOUD_TIMER_MS.max}`);
        inputs = await validateAudioInput(request.media);
      } else {
        parseCloudOptions(humeImageOptionsSchema, request.options, "face_threshold 0..1, face_min_size ≥ 1");
        inputs = await validateImageInputs(request.media);
      }
      // Nothing is sent yet: the job runs when the core first looks at it, after it is saved,
      // so every answer we store belongs to a job the store knows.
      return { nativeId: `${NATIVE_PREFIX}${newLocalNativeId()}`, status: "queued", providerStatus: "queued", task, inputs };
    },

    async get(nativeId: string, job: Job | undefined): Promise<JobSnapshot> {
      const state = states.get(nativeId);
      if (state) return snapshotOf(state);
      if (!job) throw new NotFoundError(`no Hume job ${nativeId} here; list_jobs shows the jobs this server knows`);
      if (isTerminal(job.status)) return { nativeId, status: job.status, providerStatus: job.providerStatus };
      if (closed) return { nativeId, status: job.status, providerStatus: job.providerStatus };
      if (job.status === "running") deps.logger.info(`hume job ${nativeId} resumed from its stored answers after a restart`);
      return snapshotOf(launch(job));
    },

    async fetchResults(job: Job, sink: ResultSink): Promise<FetchedResults> {
      const plan = await readJsonPart<AudioPlan & ImagePlan>(parts, job.id, PLAN_PART);
      if (!plan) throw new MediaJobsError("provider_error", `job ${job.id} has no stored answers`);
      if (job.task === "audio_expression") {
        const chunks: StoredAudioChunk[] = [];
        for (const [index] of plan.chunks.entries()) {
          const stored = await readJsonPart<StoredAudioChunk>(parts, job.id, chunkPart(index));
          if (!stored) throw new MediaJobsError("provider_error", `job ${job.id} is missing its answer for piece ${index + 1}`);
          chunks.push(stored);
        }
        const input = job.inputs[0];
        const name = input?.kind === "path" ? input.name : input?.kind === "url" ? nameFromUrl(input.url) : "audio";
        const { index, merged } = buildAudioIndex(name, plan, chunks);
        await sink.putPart("measurements.json", JSON.stringify(merged), "application/json");
        return {
          index,
          description: `${formatDuration(index.durationS)} of audio in ${chunks.length} request${chunks.length === 1 ? "" : "s"}, ${formatCount(index.utterances.length)} utterances, ${formatCount(index.measurementCount)} measurements`,
        };
      }
      const batches: StoredImageBatch[] = [];
      for (const [index] of plan.batches.entries()) {
        const stored = await readJsonPart<StoredImageBatch>(parts, job.id, batchPart(index));
        if (!stored) throw new MediaJobsError("provider_error", `job ${job.id} is missing its answer for batch ${index + 1}`);
        batches.push(stored);
      }
      const { index, merged } = buildImageIndex(plan.names, batches);
      await sink.putPart("faces.json", JSON.stringify(merged), "application/json");
      const faces = index.images.reduce((sum, image) => sum + image.faces.length, 0);
      return { index, description: `${index.images.length} images, ${faces} faces` };
    },

    async cancel(job: Job): Promise<JobSnapshot> {
      const state = states.get(job.nativeId);
      if (!state) return { nativeId: job.nativeId, status: "canceled", providerStatus: "canceled" };
      if (!isTerminal(state.status)) {
        end(state, "canceled");
        state.abort.abort();
        await state.finished;
      }
      return snapshotOf(state);
    },

    // Every state here until its job settles in the store (the core then abandons it), so a
    // job another process took over (or canceled) sends nothing more from here.
    runningHere(): string[] {
      return [...states.keys()];
    },

    async abandon(nativeId: string): Promise<boolean> {
      const state = states.get(nativeId);
      if (!state) return false;
      states.delete(nativeId);
      if (isTerminal(state.status)) return false;
      end(state, "canceled");
      state.abort.abort();
      await state.finished;
      return true;
    },

    condense(input: CondenseInput): CondensedView {
      return input.job.task === "audio_expression" ? condenseCloudAudio(input) : condenseCloudImages(input);
    },

    async close(): Promise<void> {
      closed = true;
      const running = [...states.values()];
      for (const state of running) if (!isTerminal(state.status)) state.abort.abort();
      await Promise.allSettled(running.map((state) => state.finished));
      await client?.close();
      client = undefined;
    },
  };
}


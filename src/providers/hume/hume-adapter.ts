// Hume Expression Measurement, batch API v0: start (URLs, text, local files as multipart),
// get, list, fetch results (predictions → compact index, artifacts zip), unsigned callbacks.
// Hume retired this API on 2026-06-14; HUME_BASE_URL points it at compatible endpoints.

import { openAsBlob } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { sanitizeVendorText } from "../../condense/format.js";
import { NotConfiguredError, ProviderError, UnsupportedError, UserInputError } from "../../errors.js";
import type { Job, JobInput, JobSnapshot, JobStatus } from "../../jobs/job.js";
import { redactSecrets } from "../../logger.js";
import type { VendorHttpClient } from "../http/types.js";
import type {
  AdapterDeps,
  CallContext,
  CondenseInput,
  FetchedResults,
  InterruptedSubmission,
  ProviderAdapter,
  ProviderInfo,
  RemoteJobPage,
  RemoteListQuery,
  ResultSink,
  StartRequest,
  SubmissionLookup,
  WebhookEvent,
  WebhookRequest,
} from "../provider.js";
import { createdInWindow, lookupFromCandidates, SUBMISSION_LOOKUP_MAX_PAGES, tooManyToSearch } from "../submission-lookup.js";
import {
  HUME_LANGUAGES,
  humeCallbackSchema,
  humeJobListSchema,
  humeJobSchema,
  humeStartOptionsSchema,
  humeStartResponseSchema,
  type HumeJob,
  type HumeStartBody,
} from "./hume-api.js";
import { condenseHumeResults } from "./hume-condense.js";
import { HUME_VIEWS } from "./hume-condense-model.js";
import { buildHumeIndex } from "./hume-index.js";
import { isHumeCloudTask } from "./hume-cloud-api.js";
import { createHumeCloudTasks } from "./hume-cloud-adapter.js";

export const HUME_MAX_URLS = 100;
export const HUME_MAX_FILES = 100;
export const HUME_MAX_FILE_BYTES = 1024 ** 3;
/** An hour of video with every model is tens of MB; leave room for long multi-file jobs. */
const MAX_PREDICTIONS_BYTES = 1024 ** 3;
const MAX_ARTIFACTS_BYTES = 1024 ** 3;
/** Uploading up to 100 files of 1 GB takes far longer than one API call. */
const UPLOAD_TIMEOUT_MS = 60 * 60_000;

const CONTENT_TYPES: Record<string, string> = {
  ".mp4": "video/mp4",
  ".mov": "video/quicktime",
  ".webm": "video/webm",
  ".mkv": "video/x-matroska",
  ".avi": "video/x-msvideo",
  ".wav": "audio/wav",
  ".mp3": "audio/mpeg",
  ".m4a": "audio/mp4",
  ".ogg": "audio/ogg",
  ".flac": "audio/flac",
  ".aac": "audio/aac",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".txt": "text/plain",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".bz2": "application/x-bzip2",
  ".xz": "application/x-xz",
};

/** Hume's states, mapped in one place; anything new counts as still running. */
export function mapHumeStatus(status: string): JobStatus {
  switch (status) {
    case "QUEUED":
      return "queued";
    case "IN_PROGRESS":
      return "running";
    case "COMPLETED":
      return "succeeded";
    case "FAILED":
      return "failed";
    default:
      return "running";
  }
}

const STATUS_TO_HUME: Record<string, string | undefined> = {
  queued: "QUEUED",
  running: "IN_PROGRESS",
  succeeded: "COMPLETED",
  failed: "FAILED",
};

function isoFromMs(value: number | null | undefined): string | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? new Date(value).toISOString() : undefined;
}

function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const where = [root, ...issue.path.map(String)].join(".");
      if (issue.code === "unrecognized_keys") return `${where}: unknown option${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `"${key}"`).join(", ")}`;
      if (issue.code === "invalid_type") return `${where}: ${issue.message.replace(/^Invalid input: /, "")}`;
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

/** The list cursor: Hume has none, so we page by the last job's creation time. */
function encodeListCursor(createdMs: number): string {
  return Buffer.from(JSON.stringify({ before: createdMs })).toString("base64url");
}

function decodeListCursor(cursor: string): number {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { before?: unknown };
    if (typeof value.before === "number" && Number.isInteger(value.before) && value.before > 0) return value.before;
  } catch {
    // fall through to the error below
  }
  throw new UserInputError("cursor is not a Hume list cursor from this server; pass the next_cursor of a previous list_jobs answer, or omit it");
}

export function createHumeAdapter(deps: AdapterDeps): ProviderAdapter {
  const { config } = deps;
  const apiKey = config.hume.apiKey;
  const secrets = apiKey ? [apiKey] : [];
  let apiClient: VendorHttpClient | undefined;
  let uploadClient: VendorHttpClient | undefined;
  // Tasks audio_expression and image_expression: Hume's current API, run as in-process jobs.
  const cloud = createHumeCloudTasks(deps);

  const requireKey = (): string => {
    if (!apiKey) throw new NotConfiguredError("Hume is not configured: set HUME_API_KEY (and HUME_BASE_URL for a compatible endpoint)");
    return apiKey;
  };
  const makeClient = (totalMs: number): VendorHttpClient => {
    const key = requireKey();
    return deps.createHttpClient({
      provider: "hume",
      apiKeyEnv: "HUME_API_KEY",
      baseUrl: config.hume.baseUrl,
      authHeaders: () => ({ "X-Hume-Api-Key": key }),
      secrets,
      timeouts: { totalMs },
      // The official SDK retries 408/429/5xx twice, honouring Retry-After.
      retry: { retries: 2 },
    });
  };
  const api = (): VendorHttpClient => (apiClient ??= makeClient(config.httpTimeoutMs));
  const uploads = (): VendorHttpClient => (uploadClient ??= makeClient(Math.max(config.httpTimeoutMs, UPLOAD_TIMEOUT_MS)));

  const safeVendorText = (text: string, maxChars = 300) => sanitizeVendorText(redactSecrets(text, secrets), maxChars);

  function inputsOf(job: HumeJob): JobInput[] | undefined {
    const request = job.request;
    if (!request) return undefined;
    const inputs: JobInput[] = [];
    for (const url of request.urls ?? []) inputs.push({ kind: "url", url });
    for (const file of request.files ?? []) {
      const name = file.filename ?? file.md5sum ?? "file";
      inputs.push({ kind: "path", path: name, name });
    }
    for (const text of request.text ?? []) inputs.push({ kind: "text", chars: text.length, preview: text.slice(0, 60) });
    return inputs;
  }

  function snapshotOf(job: HumeJob): JobSnapshot {
    const state = job.state;
    const status = mapHumeStatus(state.status);
    const snapshot: JobSnapshot = {
      nativeId: job.job_id,
      status,
      providerStatus: state.status,
      task: "expression",
      createdAt: isoFromMs(state.created_timestamp_ms),
      startedAt: isoFromMs(state.started_timestamp_ms),
      endedAt: isoFromMs(state.ended_timestamp_ms),
      inputs: inputsOf(job),
    };
    const errors = state.num_errors ?? 0;
    if (status === "succeeded" && errors > 0) {
      snapshot.warnings = [
        `Hume could not process ${errors} input${errors === 1 ? "" : "s"} (${state.num_predictions ?? 0} succeeded); get_predictions lists the per-file errors`,
      ];
    }
    if (status === "failed") {
      snapshot.error = { code: "provider_failed", message: safeVendorText(state.message ?? "Hume reported the job failed without a reason") };
    }
    return snapshot;
  }

  function parseStartOptions(options: Record<string, unknown>) {
    const parsed = humeStartOptionsSchema.safeParse(options ?? {});
    if (!parsed.success) {
      throw new UserInputError(
        `Hume options are invalid — ${describeIssues(parsed.error, "options")}. Accepted: models {face, burst, prosody, language, ner, facemesh}, transcription {language, identify_speakers, confidence_threshold}, notify (see list_providers)`,
      );
    }
    return parsed.data;
  }

  async function start(request: StartRequest, context: CallContext): Promise<JobSnapshot> {
    if (isHumeCloudTask(request.task)) return cloud.start(request);
    const options = parseStartOptions(request.options);
    const urls: string[] = [];
    const texts: string[] = [];
    const files: Array<{ path: string; name: string; bytes: number }> = [];
    request.media.forEach((item, position) => {
      switch (item.kind) {
        case "url":
          if (!/^https?:\/\//i.test(item.url)) throw new UserInputError(`media[${position}]: Hume fetches http(s) URLs only; got "${sanitizeVendorText(item.url, 80)}"`);
          urls.push(item.url);
          break;
        case "text":
          texts.push(item.text);
          break;
        case "path":
          if (item.bytes > HUME_MAX_FILE_BYTES) {
            throw new UserInputError(`media[${position}]: ${item.name} is ${(item.bytes / 1024 ** 3).toFixed(2)} GB; Hume accepts at most 1 GB per file (split it, or pass a URL to a smaller file)`);
          }
          files.push(item);
          break;
        case "id":
          throw new UserInputError(`media[${position}]: Hume takes url, path or text items, not id`);
      }
    });
    if (urls.length + texts.length + files.length === 0) {
      throw new UserInputError("Hume needs at least one media item: {url}, {path} or {text}");
    }
    if (urls.length > HUME_MAX_URLS) throw new UserInputError(`Hume accepts at most ${HUME_MAX_URLS} URLs per job; got ${urls.length}. Split them over several jobs`);
    if (files.length > HUME_MAX_FILES) throw new UserInputError(`Hume accepts at most ${HUME_MAX_FILES} files per job; got ${files.length}. Split them over several jobs, or pack them in a zip`);

    const body: HumeStartBody = {
      ...options,
      ...(urls.length > 0 ? { urls } : {}),
      ...(texts.length > 0 ? { text: texts } : {}),
      ...(request.webhookUrl ? { callback_url: request.webhookUrl } : {}),
    };
    let response;
    if (files.length > 0) {
      const form = new FormData();
      form.append("json", JSON.stringify(body));
      // openAsBlob reads lazily from disk as the body streams: a 1 GB file is never held in memory.
      for (const file of files) {
        const type = CONTENT_TYPES[path.extname(file.name).toLowerCase()] ?? "application/octet-stream";
        let blob: Blob;
        try {
          blob = await openAsBlob(file.path, { type });
        } catch {
          throw new UserInputError(`${file.name} can no longer be read (moved or deleted since it was checked?); pass it again`);
        }
        form.append("file", blob, file.name);
      }
      response = await uploads().json(
        { method: "POST", path: "/v0/batch/jobs", body: form, idempotent: false, signal: context.signal },
        humeStartResponseSchema,
      );
    } else {
      response = await api().json({ method: "POST", path: "/v0/batch/jobs", json: body, idempotent: false, signal: context.signal }, humeStartResponseSchema);
    }
    return { nativeId: response.body.job_id, status: "queued", providerStatus: "QUEUED", task: "expression" };
  }

  async function get(nativeId: string, job: Job | undefined, context: CallContext): Promise<JobSnapshot> {
    if (cloud.owns(nativeId, job)) return cloud.get(nativeId, job);
    const response = await api().json({ method: "GET", path: `/v0/batch/jobs/${encodeURIComponent(nativeId)}`, signal: context.signal }, humeJobSchema);
    return snapshotOf(response.body);
  }

  async function list(query: RemoteListQuery, context: CallContext): Promise<RemoteJobPage> {
    const limit = Math.max(1, Math.min(100, Math.floor(query.limit) || 20));
    let status: string | undefined;
    if (query.status !== undefined) {
      if (query.status === "canceled") return { items: [] }; // Hume jobs cannot be canceled
      status = STATUS_TO_HUME[query.status];
      if (!status) throw new UserInputError(`status "${query.status}" is not one of: queued, running, succeeded, failed, canceled`);
    }
    const cursorBefore = query.cursor ? decodeListCursor(query.cursor) : undefined;
    const createdBefore = query.createdBefore ? Date.parse(query.createdBefore) : undefined;
    const before = cursorBefore !== undefined && createdBefore !== undefined ? Math.min(cursorBefore, createdBefore) : (cursorBefore ?? createdBefore);
    // Hume takes one time bound per request: "before" pages; "after" is sent when it is the only bound.
    const after = query.createdAfter && before === undefined ? Date.parse(query.createdAfter) : undefined;
    const response = await api().json(
      {
        method: "GET",
        path: "/v0/batch/jobs",
        query: {
          limit,
          status: status ? [status] : undefined,
          sort_by: "created",
          direction: "desc",
          when: before !== undefined ? "created_before" : after !== undefined ? "created_after" : undefined,
          timestamp_ms: before ?? after,
        },
        signal: context.signal,
      },
      humeJobListSchema,
    );
    const afterMs = query.createdAfter ? Date.parse(query.createdAfter) : undefined;
    const jobs = response.body.filter((job) => afterMs === undefined || (job.state.created_timestamp_ms ?? Infinity) >= afterMs);
    const last = response.body.at(-1)?.state.created_timestamp_ms;
    // Jobs created in the same millisecond as the page's last one may be skipped: Hume pages by time only.
    return {
      items: jobs.map(snapshotOf),
      // Past the "after" bound, older pages hold nothing more.
      ...(response.body.length >= limit && typeof last === "number" && (afterMs === undefined || last >= afterMs) ? { nextCursor: encodeListCursor(last) } : {}),
    };
  }

  /** Whether a listed job was given exactly this submission's URLs, texts and file names. */
  function sameInputs(job: HumeJob, submission: InterruptedSubmission): boolean {
    // A listing without the request cannot rule the job out.
    if (!job.request) return true;
    const same = (listed: readonly string[], ours: readonly string[]) =>
      listed.length === ours.length && [...listed].sort().every((value, index) => value === [...ours].sort()[index]);
    const urls = submission.media.flatMap((item) => (item.kind === "url" ? [item.url] : []));
    const texts = submission.media.flatMap((item) => (item.kind === "text" ? [item.text] : []));
    const names = submission.media.flatMap((item) => (item.kind === "path" ? [item.name] : []));
    return (
      same(job.request.urls ?? [], urls) &&
      same(job.request.text ?? [], texts) &&
      same((job.request.files ?? []).map((file) => file.filename ?? ""), names)
    );
  }

  async function findSubmission(submission: InterruptedSubmission, context: CallContext): Promise<SubmissionLookup> {
    // audio_expression/image_expression send nothing to Hume until the job is saved: an
    // interrupted start left nothing anywhere.
    if (isHumeCloudTask(submission.task)) return { kind: "absent", certain: true };
    // Oldest first from the submission's time: jobs are matched by creation time and by what
    // they were given (the listing echoes each job's request).
    const candidates: JobSnapshot[] = [];
    let after = submission.window.from.getTime() - 1;
    for (let page = 0; page < SUBMISSION_LOOKUP_MAX_PAGES; page++) {
      const response = await api().json(
        {
          method: "GET",
          path: "/v0/batch/jobs",
          query: { limit: 100, sort_by: "created", direction: "asc", when: "created_after", timestamp_ms: after },
          signal: context.signal,
        },
        humeJobListSchema,
      );
      for (const job of response.body) {
        if (!createdInWindow(job.state.created_timestamp_ms, submission) || !sameInputs(job, submission) || (await submission.isKnown(job.job_id))) continue;
        candidates.push(snapshotOf(job));
      }
      const last = response.body.at(-1)?.state.created_timestamp_ms;
      if (response.body.length < 100 || typeof last !== "number" || last > submission.window.to.getTime() || last <= after) {
        return lookupFromCandidates("Hume", "hume", candidates, "creation time and inputs");
      }
      after = last;
    }
    return tooManyToSearch("Hume");
  }

  async function fetchResults(job: Job, sink: ResultSink, context: CallContext): Promise<FetchedResults> {
    if (isHumeCloudTask(job.task)) return cloud.fetchResults(job, sink);
    const jobPath = `/v0/batch/jobs/${encodeURIComponent(job.nativeId)}`;
    const response = await api().bytes({ method: "GET", path: `${jobPath}/predictions`, maxBodyBytes: MAX_PREDICTIONS_BYTES, signal: context.signal });
    await sink.putPart("predictions.json", response.body, "application/json");
    let payload: unknown;
    try {
      payload = JSON.parse(response.body.toString("utf8"));
    } catch (error) {
      throw new ProviderError("Hume returned predictions that are not valid JSON", { provider: "hume", retryable: false }, { cause: error });
    }
    const models = humeStartOptionsSchema.safeParse(job.options ?? {}).data?.models;
    const fps = models?.face?.fps_pred;
    const index = buildHumeIndex(payload, {
      frameStepS: fps && fps > 0 ? 1 / fps : undefined,
      languageGranularity: models?.language?.granularity,
    });

    let artifactsNote = "";
    try {
      const artifacts = await api().bytes({ method: "GET", path: `${jobPath}/artifacts`, maxBodyBytes: MAX_ARTIFACTS_BYTES, signal: context.signal });
      await sink.putPart("artifacts.zip", artifacts.body, "application/zip");
      artifactsNote = `, artifacts ${Math.ceil(artifacts.body.length / 1024)} KB`;
    } catch (error) {
      // The predictions are what the answers need; a missing zip (CSVs, saved faces) is a caveat, not a failure.
      const reason = error instanceof ProviderError ? error.message : "download failed";
      index.notes.push(`the artifacts zip (CSV per model, saved faces) could not be downloaded: ${safeVendorText(reason, 160)}`);
      deps.logger.warning(`hume artifacts for ${job.nativeId} not stored`, { reason });
    }
    const failedFiles = index.files.filter((file) => file.error).length;
    const fileCount = index.files.length;
    return {
      index,
      description: `${fileCount} file${fileCount === 1 ? "" : "s"}${failedFiles > 0 ? ` (${failedFiles} failed)` : ""}, ${index.predictionCount.toLocaleString("en-US")} predictions${artifactsNote}`,
    };
  }

  async function handleWebhook(request: WebhookRequest): Promise<WebhookEvent> {
    let body: unknown;
    try {
      body = JSON.parse(request.rawBody.toString("utf8"));
    } catch {
      body = undefined;
    }
    const parsed = humeCallbackSchema.safeParse(body);
    if (!parsed.success) throw new UserInputError("not a Hume job callback: expected JSON with job_id");
    // Hume's callbacks are unsigned, so anyone could send one: it only names a job to re-fetch
    // through the authenticated API. Its status (and any predictions in it) are ignored.
    return { nativeId: parsed.data.job_id };
  }

  function describe(): ProviderInfo {
    return {
      id: "hume",
      name: "Hume Expression Measurement",
      description:
        "Measures expressed emotion in video, audio, images and text: facial expressions (48), speech prosody, vocal bursts, emotional language with sentiment and toxicity, named entities. Task expression reaches the retired batch v0 API (HUME_BASE_URL, a compatible endpoint); tasks audio_expression and image_expression reach Hume's current Expression Measurement API (HUME_CLOUD_BASE_URL, api.cloud.hume.ai) and work with today's keys.",
      configured: Boolean(apiKey),
      ...(apiKey ? {} : { setup: "set HUME_API_KEY (today's keys reach audio_expression and image_expression; task expression also needs HUME_BASE_URL pointing at a v0-compatible endpoint)" }),
      tasks: [
        {
          task: "expression",
          description: "Expression measurement over URLs, local files or text; results condensed per file and model",
          inputs: ["url", "path", "text"],
          options: [
            "models: which models to run and their settings (all models when omitted)",
            "models.face: {fps_pred (3; 0 = every frame), prob_threshold 0..1 (0.99), identify_faces (false), min_face_size px, facs: {}, descriptions: {}, save_faces (false)}",
            "models.prosody: {granularity word|sentence|utterance|conversational_turn (utterance), window {length ≥0.5 s (4), step ≥0.5 s (1)}, identify_speakers (false)}",
            "models.language: {granularity (word), sentiment: {}, toxicity: {}, identify_speakers (false)}",
            "models.ner: {identify_speakers (false)}; models.burst: {}; models.facemesh: {}",
            `transcription: {language (auto; one of ${HUME_LANGUAGES.join(", ")}), identify_speakers (false), confidence_threshold 0..1 (0.5)}`,
            "notify: email when done (false)",
          ],
          views: [...HUME_VIEWS],
          filters: ["file (0-based index, name or URL)", "model", "speaker (or face group)", "start_s/end_s", "top_k"],
        },
        ...cloud.taskInfos(),
      ],
      urlSchemes: ["https", "http"],
      canCancel: false,
      canListRemote: true,
      limits: [
        "expression (v0): ≤ 100 URLs and ≤ 100 files per job, ≤ 1 GB per file; zip/tar archives accepted; no cancel endpoint",
        "audio_expression: one recording per job, any length; sent as 16 kHz PCM in requests of ≤ 25 MB (~13 min) cut at pauses; cancel_job works",
        "image_expression: JPEG only, ≤ 2 MB and ≤ 3840×2160 each, batched ≤ 25 MB per request; cancel_job works",
        "expression (v0) completion callbacks are unsigned: they only trigger a re-fetch through the authenticated API",
      ],
      notices: [
        "Hume retired batch v0 on 2026-06-14: expression needs a compatible HUME_BASE_URL; current keys: audio_expression, image_expression",
      ],
    };
  }

  return {
    id: "hume",
    describe,
    start,
    get,
    list,
    findSubmission,
    fetchResults,
    condense: (input: CondenseInput) => (isHumeCloudTask(input.job.task) ? cloud.condense(input) : condenseHumeResults(input)),
    async cancel(job: Job): Promise<JobSnapshot> {
      if (isHumeCloudTask(job.task)) return cloud.cancel(job);
      throw new UnsupportedError(
        `Hume batch v0 has no way to cancel a job once submitted; job ${job.id} keeps running at the vendor and will be billed. You can ignore its results`,
      );
    },
    handleWebhook,
    // Unsigned, so nothing to check in the headers; completion callbacks carry the predictions.
    webhookIntake: { maxBodyBytes: 16 * 1024 * 1024 },
    // Only the current API's jobs run in this process; the v0 batch jobs run at Hume.
    runningHere: () => cloud.runningHere(),
    abandon: (nativeId: string) => cloud.abandon(nativeId),
    async close() {
      await Promise.allSettled([apiClient?.close(), uploadClient?.close(), cloud.close()]);
      apiClient = undefined;
      uploadClient = undefined;
    },
  };
}

// pyannoteAI: diarization, voiceprints and identification. Local files go through the
// media upload flow (presigned PUT, never with our key). Voiceprints are stored by label and
// never reach the model, the logs, the stored raw copy or an error message.

import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import { sanitizeVendorText } from "../../condense/format.js";
import { ForbiddenError, NotConfiguredError, ProviderError, UserInputError } from "../../errors.js";
import type { Job, JobSnapshot, JobStatus, TaskId } from "../../jobs/job.js";
import { redactSecrets } from "../../logger.js";
import { createVendorBudget } from "../http/request-budget.js";
import type { VendorHttpClient } from "../http/types.js";
import type {
  AdapterDeps,
  CallContext,
  FetchedResults,
  InterruptedSubmission,
  MediaInput,
  ProviderAdapter,
  ProviderInfo,
  ProviderViewer,
  StoredVoiceprint,
  RemoteJobPage,
  RemoteListQuery,
  ResultSink,
  StartRequest,
  SubmissionLookup,
  WebhookEvent,
  WebhookRequest,
} from "../provider.js";
import { createdInWindow, lookupFromCandidates, SUBMISSION_LOOKUP_MAX_PAGES, tooManyToSearch } from "../submission-lookup.js";
import { pyannoteJobListSchema, pyannoteJobSchema, pyannoteMediaInputSchema, pyannoteStartResponseSchema, pyannoteWebhookSchema, type PyannoteJob, type PyannoteOutput } from "./pyannote-api.js";
import { buildPyannoteIndex, condensePyannote, type PyannoteIndex } from "./pyannote-condense.js";
import {
  parseOptions,
  PYANNOTE_OPTION_DESCRIPTIONS,
  pyannoteDiarizeOptionsSchema,
  pyannoteIdentifyOptionsSchema,
  pyannoteVoiceprintOptionsSchema,
  toDiarizeFields,
  toMatching,
  voiceprintLabelProblem,
} from "./pyannote-options.js";

/** pyannoteAI's sliding-window limit, shared by every job and tool call of this adapter. */
export const PYANNOTE_REQUESTS_PER_MINUTE = 100;
/** Pages of /v2/jobs one bulk status poll reads at most (100 jobs each). */
const BULK_STATUS_MAX_PAGES = 5;
const MAX_MEDIA_BYTES = 1024 ** 3;
const MAX_VOICEPRINT_MEDIA_BYTES = 100 * 1024 ** 2;
/** A presigned PUT of up to 1 GiB gets its own deadline: the API calls' 60 s would cut it off. */
const UPLOAD_DEADLINE_MS = 3 * 60 * 60_000;
const WEBHOOK_TOLERANCE_S = 300;
const WEBHOOK_REPLAY_TTL_MS = 10 * 60_000;
const VOICEPRINT_PLACEHOLDER = (label: string) => `[stored under label ${label}]`;

/** The vendor's job states, mapped once. Unknown states are "not finished" (DESIGN §3). */
export function mapPyannoteStatus(status: string): JobStatus {
  switch (status) {
    case "pending":
    case "created":
      return "queued";
    case "running":
      return "running";
    case "succeeded":
      return "succeeded";
    case "failed":
      return "failed";
    case "canceled":
      return "canceled";
    default:
      return "running";
  }
}

/** Our status filter → the vendor's word for /v2/jobs (queued covers two vendor states; we ask for the first). */
function toVendorStatus(status: string): string | undefined {
  switch (status) {
    case "queued":
      return "pending";
    case "running":
    case "succeeded":
    case "failed":
    case "canceled":
      return status;
    default:
      return undefined;
  }
}

/** Which of our tasks produced an output, from its shape (jobs started elsewhere carry no task). */
function taskOfOutput(output: PyannoteOutput | null | undefined): TaskId | undefined {
  if (!output) return undefined;
  if (typeof output.voiceprint === "string") return "voiceprint";
  if (output.identification || output.voiceprints) return "identify";
  if (output.diarization) return "diarize";
  return undefined;
}

function toSnapshot(job: PyannoteJob): JobSnapshot {
  const status = mapPyannoteStatus(job.status);
  const vendorError = job.output?.error ? sanitizeVendorText(job.output.error) : undefined;
  const task = taskOfOutput(job.output);
  const terminal = status === "succeeded" || status === "failed" || status === "canceled";
  return {
    nativeId: job.jobId,
    status,
    providerStatus: job.status,
    ...(task ? { task } : {}),
    ...(job.createdAt ? { createdAt: job.createdAt } : {}),
    ...(terminal && job.updatedAt ? { endedAt: job.updatedAt } : {}),
    ...(status === "failed" ? { error: { code: "vendor_failed", message: vendorError || "pyannoteAI reported the job failed without a reason" } } : {}),
    ...(job.output?.warning ? { warnings: [sanitizeVendorText(job.output.warning)] } : {}),
  };
}

/** A media:// key that is valid for pyannoteAI ([A-Za-z0-9-_./], ≤255) and unique per upload. */
export function mediaKeyFor(fileName: string): string {
  const safeName = fileName.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^[._]+/, "").slice(-80) || "media";
  return `media-jobs-mcp/${randomUUID()}/${safeName}`;
}

/** Accepts base64 (the docs) or hex (one sample), with or without a "v0="/"sha256=" prefix, in constant time. */
function signatureMatches(given: string, mac: Buffer): boolean {
  const trimmed = given.trim().replace(/^(v0|sha256)=/, "");
  const candidates = [/^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, "hex") : undefined, /^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(trimmed) ? Buffer.from(trimmed, "base64") : undefined];
  let matched = false;
  for (const candidate of candidates) {
    if (candidate && candidate.length === mac.length && timingSafeEqual(candidate, mac)) matched = true;
  }
  return matched;
}

function headerOf(headers: Record<string, string | undefined>, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

/**
 * A vendor refusal may quote the request back ("Invalid voiceprint <…>"), and the HTTP client
 * only redacts the keys it was given. The voiceprints of this one request are redacted from
 * its error too, in a fresh error so no stack or cause keeps the original text.
 */
async function withVoiceprintsRedacted<T>(body: Record<string, unknown>, call: () => Promise<T>): Promise<T> {
  const voiceprints = Array.isArray(body.voiceprints)
    ? (body.voiceprints as Array<{ voiceprint?: unknown }>).map((entry) => entry.voiceprint).filter((value): value is string => typeof value === "string")
    : [];
  if (voiceprints.length === 0) return call();
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    // Redacted whole, and by any 16-character stretch, so a vendor that cuts the quote short is caught too.
    let message = redactSecrets(error.message, voiceprints);
    for (const voiceprint of voiceprints) {
      for (let start = 0; start + 16 <= voiceprint.length; start += 8) message = redactSecrets(message, [voiceprint.slice(start, start + 16)]);
    }
    if (error instanceof ProviderError) {
      throw new ProviderError(message, {
        provider: error.provider,
        status: error.status,
        retryable: error.retryable,
        retryAfterSeconds: error.retryAfterSeconds,
        mayHaveReachedVendor: error.mayHaveReachedVendor,
      });
    }
    if (message === error.message) throw error;
    throw new ProviderError(message, { provider: "pyannote", retryable: false });
  }
}

export function createPyannoteAdapter(deps: AdapterDeps): ProviderAdapter {
  const { config, logger } = deps;
  const apiKey = config.pyannote.apiKey;
  const secrets = [apiKey, config.pyannote.webhookSecret].filter((value): value is string => Boolean(value));
  // One budget per adapter: polling and tool calls draw from the same 100 requests/min.
  const budget = createVendorBudget("pyannote", PYANNOTE_REQUESTS_PER_MINUTE, deps);
  let client: VendorHttpClient | undefined;
  let uploadClient: VendorHttpClient | undefined;

  const http = (): VendorHttpClient => {
    if (!apiKey) throw new NotConfiguredError("pyannoteAI is not configured: set PYANNOTEAI_API_KEY");
    client ??= deps.createHttpClient({
      provider: "pyannote",
      baseUrl: config.pyannote.baseUrl,
      authHeaders: () => ({ Authorization: `Bearer ${apiKey}` }),
      secrets,
      apiKeyEnv: "PYANNOTEAI_API_KEY",
      budget,
      timeouts: { totalMs: config.httpTimeoutMs },
    });
    return client;
  };

  // Presigned PUTs go to the storage origin: a client without any auth headers at all, with
  // a deadline sized for a 1 GiB body. (The shared client would not send our key there
  // either; this makes it impossible rather than merely prevented.)
  const uploads = (): VendorHttpClient => {
    uploadClient ??= deps.createHttpClient({
      provider: "pyannote",
      baseUrl: config.pyannote.baseUrl,
      authHeaders: () => ({}),
      secrets,
      timeouts: { totalMs: UPLOAD_DEADLINE_MS },
    });
    return uploadClient;
  };

  const uploadFile = async (item: Extract<MediaInput, { kind: "path" }>, task: TaskId, context: CallContext): Promise<string> => {
    const limit = task === "voiceprint" ? MAX_VOICEPRINT_MEDIA_BYTES : MAX_MEDIA_BYTES;
    if (item.bytes > limit) {
      throw new UserInputError(`${item.name} is ${(item.bytes / 1024 ** 2).toFixed(0)} MiB, over pyannoteAI's ${task === "voiceprint" ? "100 MiB limit for voiceprints" : "1 GiB limit"}`);
    }
    const mediaUrl = `media://${mediaKeyFor(item.name)}`;
    // Asking twice for the same key only yields another presigned URL: safe to re-send.
    const presigned = await http().json({ method: "POST", path: "/v1/media/input", json: { url: mediaUrl }, idempotent: true, signal: context.signal }, pyannoteMediaInputSchema);
    let stream: fs.ReadStream;
    try {
      await fs.promises.access(item.path, fs.constants.R_OK);
      stream = fs.createReadStream(item.path);
    } catch {
      throw new UserInputError(`${item.name} can no longer be read; check that the file still exists`);
    }
    logger.info("pyannote: uploading a local file", { name: item.name, bytes: item.bytes });
    // A stream is sent once: a failed PUT is reported, never silently re-sent half-read.
    await uploads().bytes({
      method: "PUT",
      path: presigned.body.url,
      body: stream,
      headers: { "content-length": String(item.bytes), "content-type": "application/octet-stream" },
      auth: false,
      signal: context.signal,
      maxBodyBytes: 1024 * 1024,
    });
    return mediaUrl;
  };

  /** The vendor URL for one input: an https/media URL as is, a local file uploaded first. */
  const mediaUrlFor = async (item: MediaInput, task: TaskId, context: CallContext): Promise<string> => {
    switch (item.kind) {
      case "url":
        if (!/^(https|media):\/\//i.test(item.url)) throw new UserInputError("pyannote needs an https:// or media:// URL, or a local path");
        return item.url;
      case "path":
        return uploadFile(item, task, context);
      default:
        throw new UserInputError(`pyannote ${task} takes a url or a path, not ${item.kind}`);
    }
  };

  const pyannoteLabels = (voiceprints: StoredVoiceprint[]) =>
    voiceprints.filter((entry) => entry.provider === "pyannote").map((entry) => entry.label);

  /** Only the caller's own voiceprints (see VoiceprintStore): another token's are unknown here. */
  const resolveVoiceprints = async (labels: string[], owner: string | undefined) => {
    const known = pyannoteLabels(await deps.voiceprints.list(owner));
    const resolved: Array<{ label: string; voiceprint: string }> = [];
    for (const label of labels) {
      const voiceprint = known.includes(label) ? await deps.voiceprints.get(label, owner) : undefined;
      if (!voiceprint) {
        throw new UserInputError(
          `no stored voiceprint labelled "${sanitizeVendorText(label, 100)}"; known labels: ${known.length > 0 ? known.join(", ") : "none (run a pyannote voiceprint job with a label first)"}`,
        );
      }
      resolved.push({ label, voiceprint });
    }
    return resolved;
  };

  /** Request body (without url/webhook) and path for one task. Throws before any network call. */
  const requestFor = async (request: StartRequest): Promise<{ path: string; body: Record<string, unknown> }> => {
    switch (request.task) {
      case "diarize": {
        const options = parseOptions(pyannoteDiarizeOptionsSchema, request.options, "diarize");
        return { path: "/v1/diarize", body: toDiarizeFields(options) };
      }
      case "voiceprint": {
        const options = parseOptions(pyannoteVoiceprintOptionsSchema, request.options, "voiceprint");
        const problem = voiceprintLabelProblem(request.label);
        if (problem) throw new UserInputError(problem);
        return { path: "/v1/voiceprint", body: options.model ? { model: options.model } : {} };
      }
      case "identify": {
        const options = parseOptions(pyannoteIdentifyOptionsSchema, request.options, "identify");
        const { voiceprints, matching_exclusive, matching_threshold, matching: nested, ...diarize } = options;
        const matching = toMatching({ matching: nested, matching_exclusive, matching_threshold });
        const body = { ...toDiarizeFields(diarize), voiceprints: await resolveVoiceprints([...new Set(voiceprints)], request.owner), ...(matching ? { matching } : {}) };
        return { path: "/v1/identify", body };
      }
      default:
        throw new UserInputError(`pyannote has no task ${request.task}; it offers diarize, voiceprint, identify`);
    }
  };

  /** Everything about a delivery that the headers alone decide; runs before its body is read. */
  const checkWebhookHeaders = (headers: Record<string, string | undefined>) => {
    const secret = config.pyannote.webhookSecret;
    if (!secret) throw new ForbiddenError("pyannote webhooks are not accepted: PYANNOTEAI_WEBHOOK_SECRET is not set");
    const signature = headerOf(headers, "x-signature");
    const timestamp = headerOf(headers, "x-request-timestamp");
    if (!signature || !timestamp) throw new ForbiddenError("missing X-Signature or X-Request-Timestamp header");
    if (!/^(v0=|sha256=)?([0-9a-f]{64}|[A-Za-z0-9+/_-]{42,44}={0,2})$/i.test(signature.trim())) throw new ForbiddenError("X-Signature is not an HMAC-SHA256 signature");
    if (!/^\d{1,12}$/.test(timestamp.trim())) throw new ForbiddenError("X-Request-Timestamp is not a Unix time in seconds");
    const skew = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (skew > WEBHOOK_TOLERANCE_S) throw new ForbiddenError(`webhook timestamp outside the ±${WEBHOOK_TOLERANCE_S} s window`);
    return { secret, signature, timestamp };
  };

  const describe = (viewer?: ProviderViewer): ProviderInfo => {
    const labels = pyannoteLabels(viewer?.voiceprints ?? []);
    const shown = labels.slice(0, 50);
    return {
      id: "pyannote",
      name: "pyannoteAI",
      description: "Speaker diarization (who spoke when), voiceprints and speaker identification by voiceprint, with optional transcription.",
      configured: Boolean(apiKey),
      setup: "set PYANNOTEAI_API_KEY",
      tasks: [
        {
          task: "diarize",
          description: "Who spoke when: speakers, talk time and share, turns, longest monologue, overlap; transcript with options.transcription: true.",
          inputs: ["url", "path"],
          options: PYANNOTE_OPTION_DESCRIPTIONS.diarize,
          views: ["timeline", "summary", "transcript", "exclusive"],
          filters: ["speaker", "start_s", "end_s"],
        },
        {
          task: "voiceprint",
          description: "Makes a voiceprint from ≤30 s of one speaker and stores it under the job's label (required); the voiceprint itself is never shown.",
          inputs: ["url", "path"],
          options: PYANNOTE_OPTION_DESCRIPTIONS.voiceprint,
          views: ["summary"],
          filters: [],
        },
        {
          task: "identify",
          description: "Diarization that names speakers by matching stored voiceprints (options.voiceprints: labels).",
          inputs: ["url", "path"],
          options: PYANNOTE_OPTION_DESCRIPTIONS.identify,
          views: ["timeline", "summary", "exclusive"],
          filters: ["speaker", "start_s", "end_s", "top_k (voiceprint matches listed per speaker)"],
        },
      ],
      urlSchemes: ["https", "media"],
      canCancel: false,
      canListRemote: true,
      limits: [
        `${PYANNOTE_REQUESTS_PER_MINUTE} requests/min, shared by polling and tool calls`,
        "recordings up to 24 h and 1 GiB (voiceprints: 30 s, 100 MiB)",
        "pyannoteAI deletes outputs 24 h after a job ends; this server keeps them once fetched",
        "no cancel endpoint: a started job runs to its end",
      ],
      notices: [
        labels.length > 0
          ? `stored voiceprints (use in identify options.voiceprints): ${shown.join(", ")}${labels.length > shown.length ? ` and ${labels.length - shown.length} more` : ""}`
          : "no stored voiceprints yet (run a voiceprint job with a label)",
      ],
    };
  };

  const fetchJob = async (nativeId: string, context: CallContext): Promise<{ status: number; body: PyannoteJob }> => {
    const response = await http().json({ method: "GET", path: `/v1/jobs/${encodeURIComponent(nativeId)}`, signal: context.signal }, pyannoteJobSchema);
    return { status: response.status, body: response.body };
  };

  return {
    id: "pyannote",
    describe,

    async start(request: StartRequest, context: CallContext): Promise<JobSnapshot> {
      if (request.media.length !== 1) {
        throw new UserInputError(`pyannote ${request.task} takes exactly one media item (got ${request.media.length}); start one job per recording`);
      }
      // Options and labels are checked before anything is uploaded or started.
      const { path, body } = await requestFor(request);
      const url = await mediaUrlFor(request.media[0]!, request.task, context);
      const webhook = request.webhookUrl
        ? // The webhook is only a hint (results are fetched through the authenticated API), so
          // diarize/identify ask for status-only deliveries: small bodies, no output in transit.
          // The voiceprint endpoint does not document webhookStatusOnly.
          { webhook: request.webhookUrl, ...(request.task !== "voiceprint" ? { webhookStatusOnly: true } : {}) }
        : {};
      // Starting paid work: the client never re-sends this POST once it may have arrived.
      const response = await withVoiceprintsRedacted(body, () =>
        http().json({ method: "POST", path, json: { url, ...body, ...webhook }, signal: context.signal }, pyannoteStartResponseSchema),
      );
      const status = response.body.status ?? "created";
      return {
        nativeId: response.body.jobId,
        status: mapPyannoteStatus(status),
        providerStatus: status,
        task: request.task,
        ...(request.label ? { label: request.label } : {}),
        ...(response.body.warning ? { warnings: [sanitizeVendorText(response.body.warning)] } : {}),
      };
    },

    async get(nativeId: string, _job: Job | undefined, context: CallContext): Promise<JobSnapshot> {
      return toSnapshot((await fetchJob(nativeId, context)).body);
    },

    async list(query: RemoteListQuery, context: CallContext): Promise<RemoteJobPage> {
      const status = query.status ? toVendorStatus(query.status) : undefined;
      const response = await http().json(
        { method: "GET", path: "/v2/jobs", query: { limit: Math.max(1, Math.min(100, query.limit)), cursor: query.cursor, status }, signal: context.signal },
        pyannoteJobListSchema,
      );
      // /v2/jobs has no time filter. The bounds are applied here, so jobs outside them are not
      // adopted (and then polled and fetched against the 100/min budget) only to be hidden;
      // the listing is newest first, so a page that ends before createdAfter is the last one.
      const after = query.createdAfter ? Date.parse(query.createdAfter) : Number.NaN;
      const before = query.createdBefore ? Date.parse(query.createdBefore) : Number.NaN;
      const createdMs = (createdAt: string | null | undefined) => (createdAt ? Date.parse(createdAt) : Number.NaN);
      const inBounds = (createdAt: string | null | undefined) => {
        const at = createdMs(createdAt);
        if (Number.isNaN(at)) return true;
        return !(at < after) && !(at > before);
      };
      const oldest = createdMs(response.body.items.at(-1)?.createdAt);
      const exhausted = !Number.isNaN(after) && !Number.isNaN(oldest) && oldest < after;
      return {
        // The listing says nothing of the task: the core files them under its default until
        // the output's shape tells (see get/fetchResults).
        items: response.body.items
          .filter((item) => inBounds(item.createdAt))
          .map((item) => ({
            nativeId: item.id,
            status: mapPyannoteStatus(item.status),
            providerStatus: item.status,
            ...(item.createdAt ? { createdAt: item.createdAt } : {}),
          })),
        ...(response.body.nextCursor && !exhausted ? { nextCursor: response.body.nextCursor } : {}),
      };
    },

    async findSubmission(submission: InterruptedSubmission, context: CallContext): Promise<SubmissionLookup> {
      // /v2/jobs says nothing of a job's input, only when it was created: a job is matched by
      // its creation time, among the jobs this server does not already know.
      const candidates: JobSnapshot[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < SUBMISSION_LOOKUP_MAX_PAGES; page++) {
        const response = await http().json(
          { method: "GET", path: "/v2/jobs", query: { limit: 100, cursor }, signal: context.signal },
          pyannoteJobListSchema,
        );
        for (const item of response.body.items) {
          if (!createdInWindow(item.createdAt, submission) || (await submission.isKnown(item.id))) continue;
          candidates.push({
            nativeId: item.id,
            status: mapPyannoteStatus(item.status),
            providerStatus: item.status,
            task: submission.task,
            ...(item.createdAt ? { createdAt: item.createdAt } : {}),
            warnings: ["pyannoteAI's job list does not say what a job was given: this job was matched to the interrupted start_job by its creation time alone"],
          });
        }
        const oldest = response.body.items.at(-1)?.createdAt;
        const pastWindow = oldest ? Date.parse(oldest) < submission.window.from.getTime() : false;
        cursor = response.body.nextCursor ?? undefined;
        if (!cursor || pastWindow) return lookupFromCandidates("pyannoteAI", "pyannote", candidates, "creation time");
      }
      return tooManyToSearch("pyannoteAI");
    },

    async getMany(jobs: Job[], context: CallContext): Promise<Map<string, JobSnapshot>> {
      // GET /v2/jobs lists newest first, 100 a page: one request answers for up to 100 running
      // jobs where GET /v1/jobs/{id} would spend 100 of the 100 requests a minute.
      const wanted = new Set(jobs.map((job) => job.nativeId));
      const oldestWanted = Math.min(...jobs.map((job) => Date.parse(job.createdAt)).filter((at) => !Number.isNaN(at)));
      const found = new Map<string, JobSnapshot>();
      let cursor: string | undefined;
      for (let page = 0; page < BULK_STATUS_MAX_PAGES && wanted.size > 0; page++) {
        const response = await http().json({ method: "GET", path: "/v2/jobs", query: { limit: 100, cursor }, signal: context.signal }, pyannoteJobListSchema);
        for (const item of response.body.items) {
          if (!wanted.delete(item.id)) continue;
          const status = mapPyannoteStatus(item.status);
          // An ended job is left to its own GET: the listing carries no error, output or end time.
          if (status === "queued" || status === "running") found.set(item.id, { nativeId: item.id, status, providerStatus: item.status });
        }
        const oldestListed = Date.parse(response.body.items.at(-1)?.createdAt ?? "");
        // Newest first: past the oldest job we asked about (a minute's slack for clocks), the rest is older still.
        if (!response.body.nextCursor || oldestListed < oldestWanted - 60_000) break;
        cursor = response.body.nextCursor;
      }
      return found;
    },

    async fetchResults(job: Job, sink: ResultSink, context: CallContext): Promise<FetchedResults> {
      const { status, body } = await fetchJob(job.nativeId, context);
      const output = body.output;
      if (!output) {
        throw new ProviderError(
          `pyannoteAI no longer has this job's output (it deletes outputs 24 h after a job ends, and this server had not fetched ${job.id} by then); run the job again`,
          { provider: "pyannote", status, retryable: false },
        );
      }
      const task = taskOfOutput(output) ?? job.task;
      let label: string | undefined;
      if (task === "voiceprint") {
        if (!output.voiceprint) throw new ProviderError("pyannoteAI returned no voiceprint for this job", { provider: "pyannote", retryable: false });
        // A voiceprint job started elsewhere has no label of ours: it gets one from its id.
        label = job.label && !voiceprintLabelProblem(job.label) ? job.label : `voiceprint-${job.nativeId.replace(/[^A-Za-z0-9-]/g, "").slice(0, 12)}`;
        await deps.voiceprints.put(label, output.voiceprint, { provider: "pyannote", sourceJobId: job.id, owner: job.owner });
        logger.info("pyannote: voiceprint stored", { label, job: job.id });
      }
      // The stored raw copy never holds the voiceprint: resources serve it as is.
      const redacted = output.voiceprint !== undefined && output.voiceprint !== null ? { ...output, voiceprint: VOICEPRINT_PLACEHOLDER(label ?? "?") } : output;
      await sink.putPart("output.json", JSON.stringify(redacted), "application/json");
      const index = buildPyannoteIndex(task, output, label);
      const speakers = new Set(index.segments.map((segment) => segment.speaker)).size;
      return {
        index,
        description: task === "voiceprint" ? `voiceprint stored under label "${label}"` : `${index.segments.length} diarization segments, ${speakers} speakers`,
      };
    },

    condense({ job, index, query }) {
      return condensePyannote(job, index as PyannoteIndex, query);
    },

    webhookIntake: {
      // Webhooks may carry the job's output (a long recording's diarization).
      maxBodyBytes: 16 * 1024 * 1024,
      checkHeaders: (headers) => void checkWebhookHeaders(headers),
    },

    async handleWebhook(request: WebhookRequest): Promise<WebhookEvent> {
      const { secret, signature, timestamp } = checkWebhookHeaders(request.headers);
      const mac = createHmac("sha256", secret).update(`v0:${timestamp.trim()}:`).update(request.rawBody).digest();
      if (!signatureMatches(signature, mac)) throw new ForbiddenError("webhook signature does not match");
      // Replays: the signature covers the timestamp, so it identifies one signed delivery.
      // Whether a retry (x-retry-num) is signed afresh is not documented. If it is, it passes
      // as a new delivery; if it is the same bytes re-sent, it is refused here as a replay.
      // Either way nothing is lost: a webhook only hints, and the poller (and the GET it
      // triggers) is what moves a job, so refusing a verbatim repeat is the safe side.
      const replayKey = `pyannote:${createHash("sha256").update(mac).digest("hex")}`;
      if (!(await deps.replayGuard.firstSeen(replayKey, WEBHOOK_REPLAY_TTL_MS))) throw new ForbiddenError("webhook already received (replay)");
      let parsed;
      try {
        parsed = pyannoteWebhookSchema.parse(JSON.parse(request.rawBody.toString("utf8")));
      } catch {
        throw new UserInputError("webhook body is not a pyannoteAI job event ({jobId, status})");
      }
      // Only the status is taken from the body; results always come from the authenticated GET.
      return { nativeId: parsed.jobId, snapshot: toSnapshot({ jobId: parsed.jobId, status: parsed.status }) };
    },

    async close() {
      await Promise.all([client?.close(), uploadClient?.close()]);
    },
  };
}

// pyannoteAI: diarization, voiceprints and identification. Local files go through the
// media upload flow (presigned PUT, never with our key). Voiceprints are stored by label and
// never reach the model.

import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import { sanitizeVendorText } from "../../condense/format.js";
import { ForbiddenError, ProviderError, UserInputError } from "../../errors.js";
import type { Job, JobSnapshot, JobStatus, TaskId } from "../../jobs/job.js";
import { createRequestBudget } from "../http/request-budget.js";
import type { VendorHttpClient } from "../http/types.js";
import type { AdapterDeps, CallContext, MediaInput, ProviderAdapter, ProviderInfo, StartRequest, WebhookEvent, WebhookRequest } from "../provider.js";
import {
  pyannoteJobListSchema,
  pyannoteJobSchema,
  pyannoteMediaInputSchema,
  pyannoteStartResponseSchema,
  pyannoteWebhookSchema,
  type PyannoteJob,
} from "./pyannote-api.js";
import { buildPyannoteIndex, condensePyannote, type PyannoteIndex } from "./pyannote-condense.js";
import {
  parseOptions,
  PYANNOTE_OPTION_DESCRIPTIONS,
  pyannoteDiarizeOptionsSchema,
  pyannoteIdentifyOptionsSchema,
  pyannoteVoiceprintOptionsSchema,
  toDiarizeFields,
} from "./pyannote-options.js";

const REQUESTS_PER_MINUTE = 100;
const MAX_FILE_BYTES = 1024 ** 3;
const WEBHOOK_TOLERANCE_S = 300;
const WEBHOOK_REPLAY_TTL_MS = 10 * 60_000;

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
      // Unknown vendor states are "not finished" (DESIGN §3).
      return "running";
  }
}

function errorMessageOf(job: PyannoteJob): string | undefined {
  const error = job.output?.error;
  if (typeof error === "string") return sanitizeVendorText(error);
  if (error && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") {
    return sanitizeVendorText((error as { message: string }).message);
  }
  return undefined;
}

function toSnapshot(job: PyannoteJob): JobSnapshot {
  const status = mapPyannoteStatus(job.status);
  const message = errorMessageOf(job);
  return {
    nativeId: job.jobId,
    status,
    providerStatus: job.status,
    ...(job.createdAt ? { createdAt: job.createdAt } : {}),
    ...(status === "failed" ? { error: { code: "vendor_failed", message: message ?? "pyannoteAI reported the job failed" } } : {}),
    ...(job.output?.warning ? { warnings: [sanitizeVendorText(job.output.warning)] } : {}),
  };
}

/** A media:// key that is valid for pyannoteAI ([A-Za-z0-9-_./], ≤255) and unique. */
export function mediaKeyFor(fileName: string): string {
  const safeName = fileName.replace(/[^A-Za-z0-9._-]/g, "_").slice(-80) || "media";
  return `media-jobs-mcp/${randomUUID()}/${safeName}`;
}

export function createPyannoteAdapter(deps: AdapterDeps): ProviderAdapter {
  const { config } = deps;
  const apiKey = config.pyannote.apiKey;
  const budget = createRequestBudget({ requestsPerMinute: REQUESTS_PER_MINUTE });
  let client: VendorHttpClient | undefined;
  const http = (): VendorHttpClient => {
    if (!apiKey) throw new UserInputError("pyannoteAI is not configured: set PYANNOTEAI_API_KEY");
    client ??= deps.createHttpClient({
      provider: "pyannote",
      baseUrl: config.pyannote.baseUrl,
      authHeaders: () => ({ Authorization: `Bearer ${apiKey}` }),
      secrets: [apiKey, ...(config.pyannote.webhookSecret ? [config.pyannote.webhookSecret] : [])],
      budget,
      timeouts: { totalMs: config.httpTimeoutMs },
    });
    return client;
  };

  /** The vendor URL for one input: a URL as is, a local file uploaded first. */
  const mediaUrlFor = async (item: MediaInput, context: CallContext): Promise<string> => {
    if (item.kind === "url") {
      if (!/^(https:|media:)\/\//i.test(item.url)) throw new UserInputError("pyannote needs an https:// or media:// URL, or a local path");
      return item.url;
    }
    if (item.kind === "path") {
      if (item.bytes > MAX_FILE_BYTES) throw new UserInputError(`${item.name} is over pyannoteAI's 1 GiB limit`);
      const mediaUrl = `media://${mediaKeyFor(item.name)}`;
      const presigned = await http().json(
        { method: "POST", path: "/v1/media/input", json: { url: mediaUrl }, idempotent: true, signal: context.signal },
        pyannoteMediaInputSchema,
      );
      // The presigned URL is another origin: the client never sends our key there.
      await http().bytes({
        method: "PUT",
        path: presigned.body.url,
        body: fs.createReadStream(item.path),
        headers: { "content-length": String(item.bytes), "content-type": "application/octet-stream" },
        auth: false,
        signal: context.signal,
      });
      return mediaUrl;
    }
    throw new UserInputError(`pyannote takes a url or a path, not ${item.kind}`);
  };

  const describe = (): ProviderInfo => {
    const labels = deps.voiceprints.list().filter((entry) => entry.provider === "pyannote").map((entry) => entry.label);
    return {
      id: "pyannote",
      name: "pyannoteAI",
      description: "Speaker diarization (who spoke when), voiceprints and speaker identification, with optional transcription.",
      configured: Boolean(apiKey),
      setup: "set PYANNOTEAI_API_KEY",
      tasks: [
        {
          task: "diarize",
          description: "Who spoke when: speakers, talk time, overlaps, turns; transcripts with transcription: true.",
          inputs: ["url", "path"],
          options: PYANNOTE_OPTION_DESCRIPTIONS.diarize,
          views: ["timeline", "summary", "transcript"],
          filters: ["speaker", "start_s", "end_s"],
        },
        {
          task: "voiceprint",
          description: "Makes a voiceprint from a recording of one speaker and stores it under the job's label (never shown).",
          inputs: ["url", "path"],
          options: PYANNOTE_OPTION_DESCRIPTIONS.voiceprint,
          views: ["summary"],
          filters: [],
        },
        {
          task: "identify",
          description: "Diarization that names speakers by matching stored voiceprints.",
          inputs: ["url", "path"],
          options: PYANNOTE_OPTION_DESCRIPTIONS.identify,
          views: ["timeline", "summary"],
          filters: ["speaker", "start_s", "end_s"],
        },
      ],
      canCancel: false,
      canListRemote: true,
      limits: [
        `${REQUESTS_PER_MINUTE} requests/min, shared by polling and tool calls`,
        "files up to 24 h and 1 GiB",
        "pyannoteAI deletes outputs 24 h after a job ends; this server keeps them",
      ],
      notices: [labels.length > 0 ? `stored voiceprints: ${labels.join(", ")}` : "no stored voiceprints yet (run a voiceprint job with a label)"],
    };
  };

  const resolveVoiceprints = (labels: string[]) =>
    labels.map((label) => {
      const voiceprint = deps.voiceprints.get(label);
      if (!voiceprint) {
        const known = deps.voiceprints.list().map((entry) => entry.label);
        throw new UserInputError(`no stored voiceprint labelled "${label}"; known labels: ${known.length > 0 ? known.join(", ") : "none (run a voiceprint job first)"}`);
      }
      return { label, voiceprint };
    });

  return {
    id: "pyannote",
    describe,

    async start(request: StartRequest, context: CallContext): Promise<JobSnapshot> {
      if (request.media.length !== 1) throw new UserInputError(`pyannote ${request.task} takes exactly one media item (got ${request.media.length}); start one job per recording`);
      let path: string;
      let body: Record<string, unknown>;
      switch (request.task) {
        case "diarize": {
          const options = parseOptions(pyannoteDiarizeOptionsSchema, request.options, "diarize");
          body = toDiarizeFields(options);
          path = "/v1/diarize";
          break;
        }
        case "voiceprint": {
          const options = parseOptions(pyannoteVoiceprintOptionsSchema, request.options, "voiceprint");
          const label = request.label;
          if (!label) throw new UserInputError('pyannote voiceprint needs a label: it names the stored voiceprint (e.g. label: "alice")');
          if (label.length > 100 || label.startsWith("speaker_")) {
            throw new UserInputError('the voiceprint label must be at most 100 characters and must not start with "speaker_"');
          }
          body = options.model ? { model: options.model } : {};
          path = "/v1/voiceprint";
          break;
        }
        case "identify": {
          const options = parseOptions(pyannoteIdentifyOptionsSchema, request.options, "identify");
          const { voiceprints, matching_exclusive, matching_threshold, ...diarize } = options;
          body = {
            ...toDiarizeFields(diarize),
            voiceprints: resolveVoiceprints([...new Set(voiceprints)]),
            ...(matching_exclusive !== undefined || matching_threshold !== undefined
              ? { matching: { ...(matching_exclusive !== undefined ? { exclusive: matching_exclusive } : {}), ...(matching_threshold !== undefined ? { threshold: matching_threshold } : {}) } }
              : {}),
          };
          path = "/v1/identify";
          break;
        }
        default:
          throw new UserInputError(`pyannote has no task ${request.task}; it offers diarize, voiceprint, identify`);
      }
      const url = await mediaUrlFor(request.media[0]!, context);
      const response = await http().json(
        { method: "POST", path, json: { url, ...body, ...(request.webhookUrl ? { webhook: request.webhookUrl } : {}) }, signal: context.signal },
        pyannoteStartResponseSchema,
      );
      return {
        nativeId: response.body.jobId,
        status: mapPyannoteStatus(response.body.status ?? "created"),
        providerStatus: response.body.status ?? "created",
        ...(response.body.warning ? { warnings: [sanitizeVendorText(response.body.warning)] } : {}),
      };
    },

    async get(nativeId: string, _job: Job | undefined, context: CallContext): Promise<JobSnapshot> {
      const response = await http().json({ method: "GET", path: `/v1/jobs/${encodeURIComponent(nativeId)}`, signal: context.signal }, pyannoteJobSchema);
      return toSnapshot(response.body);
    },

    async list(query, context) {
      const response = await http().json(
        { method: "GET", path: "/v2/jobs", query: { limit: Math.min(100, query.limit), cursor: query.cursor, status: query.status ? toVendorStatus(query.status) : undefined }, signal: context.signal },
        pyannoteJobListSchema,
      );
      return {
        items: response.body.items.map((item) => ({
          nativeId: item.id,
          status: mapPyannoteStatus(item.status),
          providerStatus: item.status,
          task: "diarize" as TaskId,
          ...(item.createdAt ? { createdAt: item.createdAt } : {}),
        })),
        ...(response.body.nextCursor ? { nextCursor: response.body.nextCursor } : {}),
      };
    },

    async fetchResults(job, sink, context) {
      const response = await http().json({ method: "GET", path: `/v1/jobs/${encodeURIComponent(job.nativeId)}`, signal: context.signal }, pyannoteJobSchema);
      const output = response.body.output;
      if (!output) {
        throw new ProviderError("pyannoteAI no longer has this job's output (it deletes outputs 24 h after a job ends)", {
          provider: "pyannote",
          status: response.status,
          retryable: false,
        });
      }
      let label: string | undefined;
      if (job.task === "voiceprint") {
        if (!output.voiceprint) throw new ProviderError("pyannoteAI returned no voiceprint for this job", { provider: "pyannote", retryable: false });
        label = job.label!;
        deps.voiceprints.put(label, output.voiceprint, { provider: "pyannote", sourceJobId: job.id });
      }
      // The stored raw copy never holds the voiceprint: resources serve it as is.
      const stored = output.voiceprint ? { ...output, voiceprint: `[stored under label ${label}]` } : output;
      sink.putPart("output.json", JSON.stringify(stored), "application/json");
      const index = buildPyannoteIndex(job.task, output, label);
      return { index, description: job.task === "voiceprint" ? `voiceprint stored as "${label}"` : `${index.segments.length} diarization segments` };
    },

    condense({ job, index, query }) {
      return condensePyannote(job, index as PyannoteIndex, query);
    },

    handleWebhook(request: WebhookRequest): WebhookEvent {
      const secret = config.pyannote.webhookSecret;
      if (!secret) throw new ForbiddenError("pyannote webhooks are not accepted: PYANNOTEAI_WEBHOOK_SECRET is not set");
      const signature = request.headers["x-signature"];
      const timestamp = request.headers["x-request-timestamp"];
      if (!signature || !timestamp || !/^\d+$/.test(timestamp)) throw new ForbiddenError("missing X-Signature or X-Request-Timestamp");
      const skew = Math.abs(Date.now() / 1000 - Number(timestamp));
      if (skew > WEBHOOK_TOLERANCE_S) throw new ForbiddenError("webhook timestamp outside the ±300 s window");
      const mac = createHmac("sha256", secret).update(`v0:${timestamp}:`).update(request.rawBody).digest();
      if (!signatureMatches(signature, mac)) throw new ForbiddenError("webhook signature does not match");
      // A retry of the same delivery is signed anew with a new timestamp, so the signature
      // is the delivery's identity; a captured request replayed within the window is refused.
      if (!deps.replayGuard.firstSeen(`pyannote:${createHash("sha256").update(signature).digest("hex")}`, WEBHOOK_REPLAY_TTL_MS)) {
        throw new ForbiddenError("webhook already received (replay)");
      }
      let parsed;
      try {
        parsed = pyannoteWebhookSchema.parse(JSON.parse(request.rawBody.toString("utf8")));
      } catch {
        throw new UserInputError("webhook body is not a pyannoteAI job event");
      }
      // Terminal events come with output; still, results are fetched through the
      // authenticated API, so the webhook only moves the status.
      return { nativeId: parsed.jobId, snapshot: toSnapshot({ jobId: parsed.jobId, status: parsed.status, output: parsed.output }) };
    },

    async close() {
      await client?.close();
    },
  };
}

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

/** Accepts base64 (the docs) or hex (one sample), compared in constant time. */
function signatureMatches(given: string, mac: Buffer): boolean {
  const trimmed = given.trim().replace(/^sha256=/, "");
  const candidates = [/^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, "hex") : undefined, Buffer.from(trimmed, "base64")];
  return candidates.some((candidate) => candidate !== undefined && candidate.length === mac.length && timingSafeEqual(candidate, mac));
}

// Hamsa (api.tryhamsa.com): Arabic/English transcription of a public media URL.
// Submit → poll `GET /v1/jobs?jobId=` → read `jobResponse` once COMPLETED.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { sanitizeVendorText } from "../../condense/format.js";
import { ForbiddenError, NotConfiguredError, ProviderError, UserInputError } from "../../errors.js";
import type { Job, JobSnapshot, JobStatus } from "../../jobs/job.js";
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
import type { VendorHttpClient } from "../http/types.js";
import {
  HAMSA_LANGUAGES,
  HAMSA_MODELS,
  hamsaGetJobResponseSchema,
  hamsaListResponseSchema,
  hamsaOptionsSchema,
  hamsaStartResponseSchema,
  type HamsaJob,
  type HamsaOptions,
} from "./hamsa-api.js";
import { buildHamsaIndex, condenseHamsa, HAMSA_VIEWS, type HamsaTranscriptIndex } from "./hamsa-condense.js";
import { parseHamsaTranscript, parseTimeValue } from "./hamsa-transcript.js";

const PROVIDER = "hamsa";
/** Hamsa's list endpoint caps nothing documented; keep pages small for the model. */
const MAX_LIST_PAGE = 100;
const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Hamsa has one non-terminal state covering both the queue and processing. */
export function mapHamsaStatus(status: string | null | undefined): JobStatus {
  switch ((status ?? "").toUpperCase()) {
    case "PENDING":
      return "running";
    case "COMPLETED":
      return "succeeded";
    case "FAILED":
      return "failed";
    default:
      // Undocumented states (e.g. PROCESSING) are treated as not finished (DESIGN §3).
      return "running";
  }
}

export function createHamsaAdapter(deps: AdapterDeps): ProviderAdapter {
  const config = deps.config.hamsa;
  const apiKey = config.apiKey;
  const projectId = config.projectId;
  let client: VendorHttpClient | undefined;

  const http = (): VendorHttpClient => {
    if (!apiKey) throw new NotConfiguredError("Hamsa is not configured: set HAMSA_API_KEY");
    client ??= deps.createHttpClient({
      provider: PROVIDER,
      apiKeyEnv: "HAMSA_API_KEY",
      baseUrl: config.baseUrl,
      authHeaders: () => ({ authorization: `Token ${apiKey}` }),
      secrets: [apiKey],
      timeouts: { totalMs: deps.config.httpTimeoutMs },
    });
    return client;
  };

  /**
   * Hamsa sends `webhookAuth` back as "Authorization: <authKey> <authSecret>". The secret is
   * derived from the API key (one-way), so a restarted server can still check callbacks
   * without storing anything, and the key itself never travels.
   */
  const webhookSecret = (): string | undefined =>
    apiKey ? createHmac("sha256", apiKey).update("media-jobs-mcp hamsa webhook v1").digest("hex") : undefined;

  /** Hamsa's callbacks carry the bearer we gave it: checked from the headers, before the body. */
  const checkHamsaAuthorization = (headers: Record<string, string | undefined>): void => {
    const secret = webhookSecret();
    if (!secret) throw new ForbiddenError("Hamsa webhooks cannot be verified: HAMSA_API_KEY is not set");
    const authorization = headerOf(headers, "authorization") ?? "";
    const expected = Buffer.from(`Bearer ${secret}`);
    const given = Buffer.from(authorization.trim());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ForbiddenError("Hamsa webhook rejected: missing or wrong Authorization");
    }
  };

  const fetchJob = async (nativeId: string, context: CallContext): Promise<{ job: HamsaJob; raw: Buffer }> => {
    const response = await http().bytes({ method: "GET", path: "/v1/jobs", query: { jobId: nativeId }, signal: context.signal });
    let decoded: unknown;
    try {
      decoded = JSON.parse(response.body.toString("utf8"));
    } catch (error) {
      throw new ProviderError("Hamsa answered with malformed JSON for a job", { provider: PROVIDER, status: response.status, retryable: true }, { cause: error });
    }
    const parsed = hamsaGetJobResponseSchema.safeParse(decoded);
    if (!parsed.success) {
      throw new ProviderError(`Hamsa's job answer for ${sanitizeVendorText(nativeId, 80)} lacked the expected fields`, {
        provider: PROVIDER,
        status: response.status,
        retryable: false,
      });
    }
    return { job: parsed.data.data, raw: response.body };
  };

  const adapter: ProviderAdapter = {
    id: "hamsa",

    describe(): ProviderInfo {
      return {
        id: "hamsa",
        name: "Hamsa",
        description: "Arabic and English speech-to-text (dialect-aware Arabic) from a public media URL, with timestamps and speakers when Hamsa returns them.",
        configured: Boolean(apiKey),
        setup: "set HAMSA_API_KEY (and HAMSA_PROJECT_ID to list jobs made elsewhere)",
        tasks: [
          {
            task: "transcribe",
            description: "Transcribe one audio/video file given by public https URL (Hamsa has no upload endpoint).",
            inputs: ["url"],
            options: [
              `model: ${HAMSA_MODELS.join(" | ")} (Hamsa-General-V2.0)`,
              `language: ${HAMSA_LANGUAGES.join(" | ")} (ar)`,
              "return_srt: also ask Hamsa for SRT subtitles (false)",
            ],
            views: [...HAMSA_VIEWS],
            filters: ["query (text search, Arabic-aware)", "speaker", "start_s/end_s", "top_k (speakers listed)"],
          },
        ],
        urlSchemes: ["https", "http"],
        canCancel: false,
        canListRemote: Boolean(projectId),
        limits: ["one media URL per job; no local files (Hamsa needs a public URL)"],
        ...(projectId ? {} : { notices: ["remote listing needs HAMSA_PROJECT_ID"] }),
      };
    },

    async start(request: StartRequest, context: CallContext): Promise<JobSnapshot> {
      const options = parseOptions(request.options);
      const url = requireSingleUrl(request);
      const secret = webhookSecret();
      const body = {
        mediaUrl: url,
        model: options.model,
        processingType: "async",
        language: options.language,
        ...(request.label ? { title: request.label.slice(0, 200) } : {}),
        ...(options.return_srt ? { returnSrtFormat: true } : {}),
        ...(request.webhookUrl && secret ? { webhookUrl: request.webhookUrl, webhookAuth: { authKey: "Bearer", authSecret: secret } } : {}),
      };
      // Starting paid work: never re-sent once it may have reached Hamsa (no idempotency keys).
      const response = await http().json(
        { method: "POST", path: "/v1/jobs/transcribe", json: body, idempotent: false, signal: context.signal },
        hamsaStartResponseSchema,
      );
      const nativeId = response.body.data?.jobId ?? response.body.data?.id;
      if (!nativeId || response.body.success === false) {
        const message = response.body.message ? `: ${sanitizeVendorText(response.body.message, 160)}` : "";
        throw new ProviderError(`Hamsa did not accept the job${message}`, {
          provider: PROVIDER,
          status: response.status,
          retryable: false,
          mayHaveReachedVendor: true,
        });
      }
      return { nativeId, status: "queued", providerStatus: "PENDING", task: "transcribe", label: request.label, inputs: [{ kind: "url", url }] };
    },

    async get(nativeId: string, _job: Job | undefined, context: CallContext): Promise<JobSnapshot> {
      const { job } = await fetchJob(nativeId, context);
      return toSnapshot(job);
    },

    ...(projectId
      ? {
          async list(query: RemoteListQuery, context: CallContext): Promise<RemoteJobPage> {
            const take = Math.min(Math.max(query.limit, 1), MAX_LIST_PAGE);
            const skip = decodeListCursor(query.cursor);
            const status = query.status ? toHamsaStatusFilter(query.status) : undefined;
            const response = await http().json(
              {
                method: "POST",
                path: "/v1/jobs/all",
                query: { projectId },
                // A read that happens to be a POST: safe to send again.
                idempotent: true,
                json: { sort: { field: "createdAt", direction: "desc" }, take, skip, ...(status ? { status } : {}), type: "TRANSCRIPTION" },
                signal: context.signal,
              },
              hamsaListResponseSchema,
            );
            const jobs = response.body.data.jobs ?? [];
            const total = response.body.data.filtered ?? response.body.data.total ?? undefined;
            const nextSkip = skip + jobs.length;
            const more = jobs.length > 0 && (total !== undefined ? nextSkip < total : jobs.length === take);
            return { items: jobs.map(toSnapshot), ...(more ? { nextCursor: encodeListCursor(nextSkip) } : {}) };
          },
        }
      : {}),

    async findSubmission(submission: InterruptedSubmission, context: CallContext): Promise<SubmissionLookup> {
      if (!projectId) {
        return {
          kind: "unknowable",
          reason: "Hamsa lists jobs only by project and HAMSA_PROJECT_ID is not set; set it so such jobs are found, or look in the Hamsa dashboard for a job for this media created then",
        };
      }
      const url = submission.media[0]?.kind === "url" ? submission.media[0].url : submission.media[0]?.kind === "id" ? submission.media[0].url : undefined;
      const title = submission.label ? submission.label.slice(0, 200) : undefined;
      // Newest first; matched by creation time, media URL and title (the label we sent).
      const candidates: JobSnapshot[] = [];
      for (let page = 0; page < SUBMISSION_LOOKUP_MAX_PAGES; page++) {
        const response = await http().json(
          {
            method: "POST",
            path: "/v1/jobs/all",
            query: { projectId },
            idempotent: true,
            json: { sort: { field: "createdAt", direction: "desc" }, take: MAX_LIST_PAGE, skip: page * MAX_LIST_PAGE, type: "TRANSCRIPTION" },
            signal: context.signal,
          },
          hamsaListResponseSchema,
        );
        const jobs = response.body.data.jobs ?? [];
        for (const job of jobs) {
          if (!createdInWindow(job.createdAt, submission) || (await submission.isKnown(job.id))) continue;
          if (job.mediaUrl !== url || (title !== undefined && job.title !== title)) continue;
          candidates.push(toSnapshot(job));
        }
        const oldest = jobs.at(-1)?.createdAt;
        if (jobs.length < MAX_LIST_PAGE || (oldest && Date.parse(oldest) < submission.window.from.getTime())) {
          return lookupFromCandidates("Hamsa", "hamsa", candidates, "creation time and media URL");
        }
      }
      return tooManyToSearch("Hamsa");
    },

    async fetchResults(job: Job, sink: ResultSink, context: CallContext): Promise<FetchedResults> {
      const { job: hamsaJob, raw } = await fetchJob(job.nativeId, context);
      await sink.putPart("raw.json", raw, "application/json");
      const usageSeconds = parseTimeValue(hamsaJob.usageTime ?? undefined);
      const transcript = parseHamsaTranscript(hamsaJob.jobResponse, usageSeconds);
      const options = hamsaOptionsSchema.safeParse(job.options ?? {});
      const index: HamsaTranscriptIndex = buildHamsaIndex(transcript, {
        language: hamsaJob.fromLng ?? (options.success ? options.data.language : undefined),
        model: hamsaJob.model ?? (options.success ? options.data.model : undefined),
        totalCost: toNumber(hamsaJob.totalCost),
        usageTime: hamsaJob.usageTime !== null && hamsaJob.usageTime !== undefined ? String(hamsaJob.usageTime) : undefined,
        durationHintSeconds: usageSeconds,
      });
      const description = `transcript: ${index.wordCount.toLocaleString("en-US")} words, ${index.segments.length.toLocaleString("en-US")} ${index.segments.some((segment) => segment.start !== undefined) ? "segments" : "sentences"}${index.language ? `, ${index.language}` : ""}`;
      return { index, description };
    },

    condense(input: CondenseInput) {
      return condenseHamsa(input.job, input.index as HamsaTranscriptIndex, input.query);
    },

    webhookIntake: {
      // The callback may carry the transcript.
      maxBodyBytes: 8 * 1024 * 1024,
      checkHeaders: (headers) => checkHamsaAuthorization(headers),
    },

    async handleWebhook(request: WebhookRequest): Promise<WebhookEvent> {
      checkHamsaAuthorization(request.headers);
      if (!(await deps.replayGuard.firstSeen(`hamsa:${createHash("sha256").update(request.rawBody).digest("hex")}`, REPLAY_WINDOW_MS))) {
        throw new ForbiddenError("Hamsa webhook rejected: this delivery was already accepted (replay)");
      }
      const nativeId = webhookJobId(request.rawBody);
      if (!nativeId) throw new UserInputError("Hamsa webhook body names no job id");
      // The callback body is undocumented: treat it only as a hint to re-read the job through
      // the authenticated API (no snapshot).
      return { nativeId };
    },

    async close() {
      await client?.close();
    },
  };
  return adapter;
}

function toSnapshot(job: HamsaJob): JobSnapshot {
  const status = mapHamsaStatus(job.status);
  const snapshot: JobSnapshot = {
    nativeId: job.id,
    status,
    ...(job.status ? { providerStatus: sanitizeVendorText(job.status, 40) } : {}),
    task: "transcribe",
    ...(job.title ? { label: sanitizeVendorText(job.title, 200) } : {}),
    ...(job.createdAt ? { createdAt: job.createdAt } : {}),
    ...(status === "succeeded" || status === "failed" ? (job.updatedAt ? { endedAt: job.updatedAt } : {}) : {}),
    ...(job.mediaUrl ? { inputs: [{ kind: "url" as const, url: job.mediaUrl }] } : {}),
  };
  if (status === "failed") snapshot.error = { code: "provider_failed", message: failureMessage(job.jobResponse) };
  return snapshot;
}

/** A failed job's reason, when Hamsa gave one in a field we recognize; vendor text is capped. */
function failureMessage(jobResponse: unknown): string {
  const fallback = "Hamsa could not transcribe the media (check that the URL is public and is audio or video)";
  let value = jobResponse;
  if (typeof jobResponse === "string") {
    try {
      value = JSON.parse(jobResponse);
    } catch {
      return `Hamsa: ${sanitizeVendorText(jobResponse, 160)}`;
    }
  }
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    for (const key of ["error", "message", "reason", "detail"]) {
      const candidate = record[key];
      if (typeof candidate === "string" && candidate.trim()) return `Hamsa: ${sanitizeVendorText(candidate, 160)}`;
      if (candidate && typeof candidate === "object" && typeof (candidate as { message?: unknown }).message === "string") {
        return `Hamsa: ${sanitizeVendorText((candidate as { message: string }).message, 160)}`;
      }
    }
  }
  return fallback;
}

function parseOptions(options: Record<string, unknown>): HamsaOptions {
  const parsed = hamsaOptionsSchema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? `options.${issue.path.join(".")}` : "options";
  const hint =
    issue.code === "unrecognized_keys"
      ? `Hamsa accepts only: model, language, return_srt`
      : `model is ${HAMSA_MODELS.join(" or ")}; language is ${HAMSA_LANGUAGES.join(" or ")}`;
  throw new UserInputError(`${where}: ${issue.message} (${hint})`);
}

function requireSingleUrl(request: StartRequest): string {
  if (request.media.some((item) => item.kind === "path")) {
    throw new UserInputError(
      "Hamsa needs a public https URL of the media: it has no upload endpoint, so a local file cannot be sent. Put the file where Hamsa can download it and pass media: [{url}]",
    );
  }
  if (request.media.length !== 1) {
    throw new UserInputError(`Hamsa transcribes one file per job; got ${request.media.length} media items. Start one job per file`);
  }
  const item = request.media[0]!;
  const url = item.kind === "url" ? item.url : item.kind === "id" ? item.url : undefined;
  if (!url) throw new UserInputError("Hamsa needs media: [{url: \"https://…\"}] (a public URL of an audio or video file)");
  if (!/^https?:\/\//i.test(url)) throw new UserInputError("Hamsa needs an http(s) URL it can download; got another scheme");
  return url;
}

function toHamsaStatusFilter(status: string): string | undefined {
  switch (status) {
    case "queued":
    case "running":
      return "PENDING";
    case "succeeded":
      return "COMPLETED";
    case "failed":
      return "FAILED";
    default:
      return undefined;
  }
}

const listCursorSchema = z.object({ skip: z.number().int().min(0) });

function encodeListCursor(skip: number): string {
  return Buffer.from(JSON.stringify({ skip })).toString("base64url");
}

function decodeListCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    return listCursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))).skip;
  } catch {
    throw new UserInputError("cursor is not a Hamsa list cursor this server issued; omit it to start from the newest job");
  }
}

function toNumber(value: number | string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function headerOf(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function webhookJobId(rawBody: Buffer): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString("utf8"));
  } catch {
    return undefined;
  }
  const record = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const data = (record.data && typeof record.data === "object" ? record.data : {}) as Record<string, unknown>;
  for (const candidate of [record.jobId, record.id, data.jobId, data.id]) {
    if (typeof candidate === "string" && /^[\w.-]{1,200}$/.test(candidate)) return candidate;
  }
  return undefined;
}

// HumanStandard (app.jobsbyhumans.com/api/v1): AI-music provenance for catalogs of tracks.
// Submit items (or a manifest) → poll `GET /jobs/{id}` (or webhooks) → stream NDJSON results
// page by page into the store while building a compact index.

import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { formatCount, sanitizeVendorText } from "../../condense/format.js";
import { NotConfiguredError, ProviderError, UserInputError } from "../../errors.js";
import type { Job, JobSnapshot, JobStatus } from "../../jobs/job.js";
import type {
  AdapterDeps,
  CallContext,
  CondenseInput,
  FetchedResults,
  InterruptedSubmission,
  MediaInput,
  ProviderAdapter,
  ProviderInfo,
  ResultSink,
  StartRequest,
  SubmissionLookup,
  WebhookRequest,
} from "../provider.js";
import { createVendorBudget } from "../http/request-budget.js";
import type { RequestBudget, VendorHttpClient } from "../http/types.js";
import {
  HUMANSTANDARD_MAX_ITEMS,
  HUMANSTANDARD_REQUESTS_PER_MINUTE,
  HUMANSTANDARD_RESULTS_PAGE_SIZE,
  humanStandardJobSchema,
  humanStandardOptionsSchema,
  type HumanStandardJob,
  type HumanStandardOptions,
} from "./humanstandard-api.js";
import { condenseHumanStandard, HUMANSTANDARD_VIEWS } from "./humanstandard-condense.js";
import { createLineSplitter, createProvenanceIndexBuilder, type ProvenanceIndex } from "./humanstandard-results-index.js";
import { checkHumanStandardWebhookHeaders, verifyHumanStandardWebhook } from "./humanstandard-webhook.js";

const PROVIDER = "humanstandard";
const RESULTS_PART = "results.ndjson";
const NDJSON = "application/x-ndjson";
/** Without a known total, stop after this many pages (10 million tracks) rather than loop forever. */
const MAX_PAGES_UNKNOWN_TOTAL = 10_000;
/** How long after a submission its Idempotency-Key is trusted to still be remembered. */
const IDEMPOTENCY_KEY_TRUST_MS = 24 * 60 * 60_000;

/**
 * HumanStandard documents `queued` and `processing`; the terminal words are not enumerated
 * (PROVIDERS.md: *uncertain*), so both spellings of "complete" are accepted and anything
 * unknown counts as still running.
 */
export function mapHumanStandardStatus(status: string | null | undefined): JobStatus {
  switch ((status ?? "").trim().toLowerCase()) {
    case "queued":
    case "pending":
    case "created":
      return "queued";
    case "processing":
    case "running":
    case "in_progress":
      return "running";
    case "complete":
    case "completed":
    case "succeeded":
    case "done":
      return "succeeded";
    case "failed":
    case "error":
      return "failed";
    case "canceled":
    case "cancelled":
      return "canceled";
    default:
      return "running";
  }
}

export interface HumanStandardAdapterOverrides {
  /** A shared budget (tests); by default 60 requests/min as HumanStandard documents. */
  budget?: RequestBudget;
}

export function createHumanStandardAdapter(deps: AdapterDeps, overrides: HumanStandardAdapterOverrides = {}): ProviderAdapter {
  const config = deps.config.humanstandard;
  const apiKey = config.apiKey;
  const budget = overrides.budget ?? createVendorBudget("humanstandard", HUMANSTANDARD_REQUESTS_PER_MINUTE, deps);
  let client: VendorHttpClient | undefined;

  const http = (): VendorHttpClient => {
    if (!apiKey) throw new NotConfiguredError("HumanStandard is not configured: set HUMANSTANDARD_API_KEY");
    client ??= deps.createHttpClient({
      provider: PROVIDER,
      apiKeyEnv: "HUMANSTANDARD_API_KEY",
      baseUrl: config.baseUrl,
      authHeaders: () => ({ authorization: `Bearer ${apiKey}` }),
      secrets: [apiKey, ...(config.webhookSecret ? [config.webhookSecret] : [])],
      timeouts: { totalMs: deps.config.httpTimeoutMs },
      // The client tells the budget X-RateLimit-Remaining / Reset after every response: when
      // Remaining hits 0 the next request waits until Reset instead of collecting a 429.
      budget,
    });
    return client;
  };

  const adapter: ProviderAdapter = {
    id: "humanstandard",

    describe(): ProviderInfo {
      return {
        id: "humanstandard",
        name: "HumanStandard",
        description:
          "AI-music provenance for catalogs: per track a human/suspicious verdict, a truth score (0 human … 1 AI), the likely generator (suno, udio, elevenlabs…) and tier verdicts.",
        configured: Boolean(apiKey),
        setup: "set HUMANSTANDARD_API_KEY (and HUMANSTANDARD_WEBHOOK_SECRET to accept its webhooks)",
        tasks: [
          {
            task: "provenance",
            description: `Scan up to ${formatCount(HUMANSTANDARD_MAX_ITEMS)} tracks given by public https URL ({url} or {id, url} with your item id), or as a local NDJSON catalog file ({item_id, url} per line) given as the only {path} item (thousands of tracks inline pass the 4 MiB message limit); larger catalogs via options.manifest_url.`,
            inputs: ["url", "id", "path"],
            options: [
              "manifest_url: https URL of an NDJSON manifest ({item_id, url} per line) for catalogs over 10,000 tracks; pass that same URL as the only media item (none)",
            ],
            views: [...HUMANSTANDARD_VIEWS],
            filters: ["verdict (human | suspicious | failed | unknown)", "origin (suno | udio | elevenlabs | human | unknown)", "top_k (most suspicious listed)"],
          },
        ],
        urlSchemes: ["https"],
        canCancel: false,
        canListRemote: false,
        limits: [
          `≤ ${formatCount(HUMANSTANDARD_MAX_ITEMS)} items per job (more through a manifest)`,
          "audio: mp3, wav, flac, aac, ogg, m4a; ≤ 500 MB; must download within 60 s",
          `${HUMANSTANDARD_REQUESTS_PER_MINUTE} requests/min`,
        ],
        notices: ["HumanStandard cannot cancel a job once submitted"],
      };
    },

    async start(request: StartRequest, context: CallContext): Promise<JobSnapshot> {
      const options = parseOptions(request.options);
      const payload = buildPayload({ ...request, media: await expandLocalCatalog(request.media) }, options);
      // The default name comes from the submission's time, so the same submission sent again is the same body.
      const requestedAt = request.requestedAt ? new Date(request.requestedAt) : new Date();
      const name = request.label?.trim() || `media-jobs-mcp ${requestedAt.toISOString().slice(0, 16).replace("T", " ")} (${payload.description})`;
      const idempotencyKey = request.idempotencyKey ?? randomUUID();
      const response = await http().json(
        {
          method: "POST",
          path: "/jobs",
          headers: { "idempotency-key": idempotencyKey },
          json: {
            name: name.slice(0, 200),
            ...(payload.manifestUrl ? { manifest_url: payload.manifestUrl } : { items: payload.items }),
            ...(request.webhookUrl ? { webhook_url: request.webhookUrl } : {}),
          },
          // HumanStandard deduplicates by Idempotency-Key, so re-sending this POST cannot start
          // (or bill) a second job: it answers with the first one.
          idempotent: true,
          signal: context.signal,
        },
        humanStandardJobSchema,
      );
      return {
        ...toSnapshot(response.body),
        task: "provenance",
        ...(request.label ? { label: request.label } : {}),
        ...(payload.manifestUrl ? { inputs: [{ kind: "url" as const, url: payload.manifestUrl }] } : {}),
      };
    },

    async findSubmission(submission: InterruptedSubmission, context: CallContext): Promise<SubmissionLookup> {
      // No list endpoint, but the create call takes an Idempotency-Key: the same submission sent
      // again with the same key is answered with the job the first one created (or creates it,
      // once, if the first never arrived). How long HumanStandard remembers keys is not
      // documented; past a day, sending again could start a second job.
      if (Date.now() - submission.recordedAt.getTime() > IDEMPOTENCY_KEY_TRUST_MS) {
        return { kind: "unknowable", reason: "HumanStandard has no job list, and this submission is too old to be sent again under its Idempotency-Key; look for it in the HumanStandard dashboard" };
      }
      const snapshot = await adapter.start(
        {
          task: submission.task,
          media: submission.media,
          options: submission.options,
          label: submission.label,
          idempotencyKey: submission.id,
          webhookUrl: submission.webhookUrl,
          requestedAt: submission.recordedAt.toISOString(),
        },
        context,
      );
      return { kind: "found", snapshot };
    },

    async get(nativeId: string, _job: Job | undefined, context: CallContext): Promise<JobSnapshot> {
      const response = await http().json(
        { method: "GET", path: `/jobs/${encodeURIComponent(nativeId)}`, signal: context.signal },
        humanStandardJobSchema,
      );
      return toSnapshot(response.body);
    },

    async fetchResults(job: Job, sink: ResultSink, context: CallContext): Promise<FetchedResults> {
      // A fetch retried after a failure midway starts the stored part over.
      await sink.putPart(RESULTS_PART, "", NDJSON);
      const builder = createProvenanceIndexBuilder();
      const expectedTotal = job.progress?.total;
      const maxPages = expectedTotal !== undefined ? Math.ceil(expectedTotal / HUMANSTANDARD_RESULTS_PAGE_SIZE) + 1 : MAX_PAGES_UNKNOWN_TOTAL;
      for (let page = 1; page <= maxPages; page++) {
        const before = builder.linesRead();
        const lines = await streamPage(http(), job.nativeId, page, sink, builder, context);
        const newRecords = builder.linesRead() - before;
        // A short page is the last; a page longer than asked means paging was ignored and
        // everything came at once; a page of nothing new means the vendor repeats itself.
        if (lines < HUMANSTANDARD_RESULTS_PAGE_SIZE || lines > HUMANSTANDARD_RESULTS_PAGE_SIZE || newRecords === 0) break;
        if (expectedTotal !== undefined && builder.linesRead() >= expectedTotal) break;
        if (page === maxPages) deps.logger.warning(`humanstandard job ${job.nativeId}: stopped reading results after ${page} pages`);
      }
      const index = builder.finish();
      const { verdicts } = index;
      return {
        index,
        description: `${formatCount(index.records)} tracks: ${formatCount(verdicts.suspicious)} suspicious, ${formatCount(verdicts.human)} human, ${formatCount(verdicts.failed)} failed, ${formatCount(verdicts.unknown)} unknown`,
      };
    },

    condense(input: CondenseInput) {
      return condenseHumanStandard(input.job, input.index as ProvenanceIndex, input.query);
    },

    webhookIntake: {
      // Events carry a summary, never the results.
      maxBodyBytes: 1024 * 1024,
      checkHeaders: (headers) => checkHumanStandardWebhookHeaders(headers, config.webhookSecret),
    },

    handleWebhook(request: WebhookRequest) {
      return verifyHumanStandardWebhook(request, config.webhookSecret, deps.replayGuard);
    },

    async close() {
      await client?.close();
    },
  };
  return adapter;
}

/** Streams one results page into the sink and the index builder; returns its line count. */
async function streamPage(
  client: VendorHttpClient,
  nativeId: string,
  page: number,
  sink: ResultSink,
  builder: ReturnType<typeof createProvenanceIndexBuilder>,
  context: CallContext,
): Promise<number> {
  let lines = 0;
  const splitter = createLineSplitter(
    (line) => {
      if (builder.addLine(line)) lines++;
    },
    () => {
      builder.countMalformed();
      lines++;
    },
  );
  const response = await client.stream({
    method: "GET",
    path: `/jobs/${encodeURIComponent(nativeId)}/results`,
    query: { page, per_page: HUMANSTANDARD_RESULTS_PAGE_SIZE },
    signal: context.signal,
  });
  let lastByte = 0x0a;
  try {
    for await (const chunk of response.body) {
      if (chunk.length === 0) continue;
      await sink.appendPart(RESULTS_PART, chunk, NDJSON);
      splitter.push(chunk);
      lastByte = chunk[chunk.length - 1]!;
    }
  } catch (error) {
    await response.cancel().catch(() => undefined);
    throw error;
  }
  splitter.end();
  // Keep the stored part valid NDJSON when a page did not end with a newline.
  if (lastByte !== 0x0a) await sink.appendPart(RESULTS_PART, "\n", NDJSON);
  return lines;
}

function toSnapshot(job: HumanStandardJob): JobSnapshot {
  const status = mapHumanStandardStatus(job.status);
  const snapshot: JobSnapshot = {
    nativeId: job.id,
    status,
    ...(job.status ? { providerStatus: sanitizeVendorText(job.status, 40) } : {}),
    task: "provenance",
    ...(job.name ? { label: sanitizeVendorText(job.name, 200) } : {}),
    ...(job.created_at ? { createdAt: job.created_at } : {}),
    ...(job.completed_at ? { endedAt: job.completed_at } : {}),
  };
  if (job.total !== null && job.total !== undefined) {
    snapshot.progress = { done: job.processed ?? 0, total: job.total, unit: "tracks" };
  }
  if (status === "failed") {
    const reason = typeof job.error === "string" ? job.error : (job.error?.message ?? job.message ?? undefined);
    snapshot.error = {
      code: "provider_failed",
      message: reason ? `HumanStandard: ${sanitizeVendorText(reason, 160)}` : "HumanStandard reported the job failed",
    };
  }
  if (status === "succeeded" && job.failed) snapshot.warnings = [`${formatCount(job.failed)} tracks could not be analyzed (see view failed)`];
  return snapshot;
}

function parseOptions(options: Record<string, unknown>): HumanStandardOptions {
  const parsed = humanStandardOptionsSchema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? `options.${issue.path.join(".")}` : "options";
  throw new UserInputError(
    `${where}: ${issue.message}${issue.code === "unrecognized_keys" ? " (HumanStandard accepts only manifest_url)" : ""}`,
  );
}

interface Payload {
  items?: Array<{ item_id: string; url: string }>;
  manifestUrl?: string;
  description: string;
}

function buildPayload(request: StartRequest, options: HumanStandardOptions): Payload {
  if (options.manifest_url) {
    const others = request.media.filter((item) => !(item.kind === "url" && item.url === options.manifest_url));
    if (others.length > 0) {
      throw new UserInputError(
        "give either media items or options.manifest_url, not both: with a manifest, pass the manifest URL as the only media item",
      );
    }
    return { manifestUrl: options.manifest_url, description: "manifest" };
  }
  if (request.media.length === 0) throw new UserInputError("HumanStandard needs media: [{url}] or [{id, url}] items, or options.manifest_url");
  if (request.media.length > HUMANSTANDARD_MAX_ITEMS) {
    throw new UserInputError(
      `HumanStandard takes at most ${formatCount(HUMANSTANDARD_MAX_ITEMS)} items per job (got ${formatCount(request.media.length)}); for larger catalogs host an NDJSON manifest and pass options.manifest_url`,
    );
  }
  const used = new Set<string>();
  const items = request.media.map((item, position) => {
    const url = urlOf(item, position);
    let itemId = item.kind === "id" ? item.id.trim() : deriveItemId(url, position);
    if (item.kind === "id" && used.has(itemId)) throw new UserInputError(`media[${position}]: item id "${sanitizeVendorText(itemId, 60)}" is used twice; ids must be unique`);
    for (let suffix = 2; used.has(itemId); suffix++) itemId = `${deriveItemId(url, position)}-${suffix}`;
    used.add(itemId);
    return { item_id: itemId, url };
  });
  return { items, description: `${formatCount(items.length)} track${items.length === 1 ? "" : "s"}` };
}

/** A local catalog file's largest size: 10,000 lines of {item_id, url} with long URLs. */
const MAX_CATALOG_FILE_BYTES = 32 * 1024 * 1024;

/**
 * A local NDJSON catalog ({item_id, url} per line, `id` also accepted) given as the only
 * {path} item becomes its items: a catalog of thousands of tracks inline is a message of
 * megabytes (over the 4 MiB limit at about 3,500 tracks), while a path is a few bytes.
 */
async function expandLocalCatalog(media: MediaInput[]): Promise<MediaInput[]> {
  const file = media.length === 1 && media[0]!.kind === "path" ? media[0]! : undefined;
  if (!file || file.kind !== "path") return media;
  if (file.bytes > MAX_CATALOG_FILE_BYTES) {
    throw new UserInputError(`${file.name} is ${formatCount(file.bytes)} bytes; a catalog file is at most ${MAX_CATALOG_FILE_BYTES / (1024 * 1024)} MB (for more tracks, host an NDJSON manifest and pass options.manifest_url)`);
  }
  let text: string;
  try {
    text = await readFile(file.path, "utf8");
  } catch (error) {
    throw new UserInputError(`${file.name} could not be read (${(error as NodeJS.ErrnoException).code ?? "read error"})`);
  }
  const items: MediaInput[] = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      throw new UserInputError(`${file.name} line ${index + 1} is not JSON; a catalog file has one {"item_id": "…", "url": "https://…"} object per line`);
    }
    const record = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    const id = record.item_id ?? record.id;
    const url = record.url;
    if (typeof url !== "string" || (id !== undefined && typeof id !== "string")) {
      throw new UserInputError(`${file.name} line ${index + 1} needs "url" (and optionally "item_id") as strings`);
    }
    items.push(typeof id === "string" && id.trim() !== "" ? { kind: "id", id, url } : { kind: "url", url });
    if (items.length > HUMANSTANDARD_MAX_ITEMS) break;
  }
  if (items.length === 0) throw new UserInputError(`${file.name} holds no catalog lines; give one {"item_id", "url"} object per line`);
  return items;
}

function urlOf(item: MediaInput, position: number): string {
  const url = item.kind === "url" ? item.url : item.kind === "id" ? item.url : undefined;
  if (item.kind === "path") {
    throw new UserInputError(
      `media[${position}]: HumanStandard downloads tracks itself and needs a public https URL, not a local file (a local NDJSON catalog of {item_id, url} lines goes as the only {path} item)`,
    );
  }
  if (!url) throw new UserInputError(`media[${position}]: HumanStandard needs a url for each item ({url} or {id, url})`);
  if (!/^https:\/\/[^\s]+$/i.test(url)) throw new UserInputError(`media[${position}]: HumanStandard needs https URLs; got "${sanitizeVendorText(url, 80)}"`);
  return url;
}

/** A readable item id from the URL's file name ("01-intro.mp3" → "01-intro"), else its position. */
function deriveItemId(url: string, position: number): string {
  let name = "";
  try {
    name = decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "");
  } catch {
    name = "";
  }
  const stem = name
    .replace(/\.[A-Za-z0-9]{1,5}$/, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
  return stem || `item-${position + 1}`;
}

// A loopback fake of HumanStandard's catalog job API (docs.hsverify.com, seed 003):
// POST /jobs (items or manifest_url, Idempotency-Key), GET /jobs/{id} (queued → processing →
// complete with counts growing), GET /jobs/{id}/results (NDJSON pages, verdict/status filters),
// X-RateLimit-* headers on every answer and 429 beyond the window, and signed webhooks.
// Track records are deterministic from a seed and an item id and generated per page, so a
// 50,000-track job costs nothing until read. `truthCounts` recomputes what a correct summary
// must say, independently of the adapter's index.
// Runs under Node's type stripping too (humanstandard-fake-main.ts): no enums, no parameter
// properties.

import { createHmac } from "node:crypto";
import { FakeServer, type FakeReply, type RecordedRequest } from "./fake-server.js";
import { listenOn } from "./hamsa-fake.js";

export const HUMANSTANDARD_FAKE_API_KEY = "hs_live_fake_0123456789abcdef";
export const HUMANSTANDARD_FAKE_WEBHOOK_SECRET = "whsec_fake_humanstandard_secret";

export interface HumanStandardFakeOptions {
  apiKey?: string;
  /** Seed of the deterministic track records (default 7). */
  seed?: number;
  /** GET /jobs/{id} polls until a job is complete (default 3): queued, processing…, complete. */
  pollsToComplete?: number;
  /** The terminal status word; HumanStandard does not document it (default "complete"). */
  completeStatus?: string;
  /** Tracks in a manifest job unless its URL says `?tracks=N` (default 25,000). */
  manifestTracks?: number;
  /** Requests allowed per window (default 60 per 60 s, as documented). */
  rateLimit?: { limit: number; windowMs: number };
  /** This results page answers 404 the first time it is asked for (a failure midway). */
  failResultsPageOnce?: number;
  /** Record positions (0-based, in result order) whose NDJSON line is sent corrupted. */
  corruptRecordsAt?: number[];
  port?: number;
}

export interface HumanStandardFakeRecord {
  item_id: string;
  status: "success" | "failed";
  verdict: "human" | "suspicious" | null;
  error?: string;
  tier_verdicts: { press_safe: string | null; human_safe: string | null; recall: string | null } | null;
  scores: { truth_score: number; reliability: number; geo_score: number } | null;
  origin: string | null;
  origin_confidence: number | null;
  calibration_version: string;
  processed_at: string;
  metadata: Record<string, string>;
}

export interface HumanStandardFakeJob {
  id: string;
  name: string;
  /** Inline items; undefined for a manifest job (ids generated as track-000001…). */
  items?: Array<{ item_id: string; url: string }>;
  manifestUrl?: string;
  total: number;
  polls: number;
  fails: boolean;
  webhookUrl?: string;
  createdAt: string;
}

export interface TruthCounts {
  human: number;
  suspicious: number;
  failed: number;
  unknown: number;
  origins: Record<string, number>;
  /** Item id of the highest exact truth score among successful tracks (ties: smallest id). */
  mostSuspicious?: string;
}

export interface SignedWebhook {
  headers: Record<string, string>;
  rawBody: Buffer;
}

export interface HumanStandardFake {
  baseUrl: string;
  server: FakeServer;
  apiKey: string;
  jobs: Map<string, HumanStandardFakeJob>;
  /** 429 answers the fake's own rate limiter gave (injected faults not counted). */
  rateLimitedCount(): number;
  record(jobId: string, position: number): HumanStandardFakeRecord;
  truthCounts(jobId: string): TruthCounts;
  /** Marks a job complete without polling. */
  complete(jobId: string): void;
  signedWebhook(event: Record<string, unknown>, secret?: string): SignedWebhook;
  jobCompleteEvent(jobId: string): Record<string, unknown>;
  trackCompleteEvent(jobId: string, position: number): Record<string, unknown>;
  jobFailedEvent(jobId: string, message: string): Record<string, unknown>;
  /** POSTs a signed event to a URL, as HumanStandard would. */
  deliverWebhook(url: string, event: Record<string, unknown>, secret?: string): Promise<number>;
  close(): Promise<void>;
}

const ORIGINS: Array<[string, number]> = [
  ["human", 0.7],
  ["suno", 0.12],
  ["udio", 0.08],
  ["elevenlabs", 0.05],
  ["unknown", 0.05],
];
const FAILURES = [
  "download_timeout: the track did not download within 60 s",
  "unsupported_format: audio format not supported",
  "file_too_large: the file is over 500 MB",
];

export async function startHumanStandardFake(options: HumanStandardFakeOptions = {}): Promise<HumanStandardFake> {
  const apiKey = options.apiKey ?? HUMANSTANDARD_FAKE_API_KEY;
  const seed = options.seed ?? 7;
  const pollsToComplete = Math.max(1, options.pollsToComplete ?? 3);
  const completeStatus = options.completeStatus ?? "complete";
  const manifestTracks = options.manifestTracks ?? 25_000;
  const rateLimit = options.rateLimit ?? { limit: 60, windowMs: 60_000 };
  const corrupt = new Set(options.corruptRecordsAt ?? []);
  let pageToFail = options.failResultsPageOnce;
  const server = new FakeServer();
  const jobs = new Map<string, HumanStandardFakeJob>();
  const idempotency = new Map<string, string>();
  let windowStart = 0;
  let windowCount = 0;
  let rateLimited = 0;
  let nextJob = 1;

  const itemIdAt = (job: HumanStandardFakeJob, position: number): string =>
    job.items ? job.items[position]!.item_id : `track-${String(position + 1).padStart(6, "0")}`;

  const record = (jobId: string, position: number): HumanStandardFakeRecord => {
    const job = jobs.get(jobId);
    if (!job) throw new Error(`no fake job ${jobId}`);
    return makeRecord(seed, itemIdAt(job, position), position);
  };

  const statusOf = (job: HumanStandardFakeJob): string => {
    if (job.polls === 0) return "queued";
    if (job.fails) return "failed";
    return job.polls >= pollsToComplete ? completeStatus : "processing";
  };
  const processedOf = (job: HumanStandardFakeJob): number => {
    if (job.polls === 0 || job.fails) return 0;
    return job.polls >= pollsToComplete ? job.total : Math.floor((job.total * job.polls) / pollsToComplete);
  };

  const wireJob = (job: HumanStandardFakeJob) => {
    const processed = processedOf(job);
    let succeeded = 0;
    let human = 0;
    let suspicious = 0;
    for (let position = 0; position < processed; position++) {
      const item = makeRecord(seed, itemIdAt(job, position), position);
      if (item.status === "success") succeeded++;
      if (item.verdict === "human") human++;
      if (item.verdict === "suspicious") suspicious++;
    }
    const status = statusOf(job);
    return {
      id: job.id,
      name: job.name,
      status,
      total: job.total,
      processed,
      succeeded,
      failed: processed - succeeded,
      verdict_counts: { human, suspicious },
      created_at: job.createdAt,
      completed_at: status === completeStatus ? "2026-03-01T11:00:00Z" : null,
      ...(job.fails && job.polls > 0 ? { error: "manifest could not be downloaded" } : {}),
    };
  };

  /** Every answer carries X-RateLimit-*; beyond the window's limit the answer is a 429. */
  const limited = (handler: (request: RecordedRequest, params: Record<string, string>) => FakeReply) =>
    (request: RecordedRequest, params: Record<string, string>): FakeReply => {
      const now = Date.now();
      if (now - windowStart >= rateLimit.windowMs) {
        windowStart = now;
        windowCount = 0;
      }
      const resetMs = windowStart + rateLimit.windowMs;
      const resetEpochSeconds = Math.ceil(resetMs / 1000);
      if (windowCount >= rateLimit.limit) {
        rateLimited++;
        return {
          status: 429,
          headers: {
            "x-ratelimit-limit": String(rateLimit.limit),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(resetEpochSeconds),
            "retry-after": String(Math.max(1, Math.ceil((resetMs - now) / 1000))),
          },
          body: { error: "rate_limited", message: "Too many requests" },
        };
      }
      windowCount++;
      const reply = request.headers.authorization === `Bearer ${apiKey}` ? handler(request, params) : { status: 401, body: { error: "unauthorized", message: "Invalid API key" } };
      return {
        ...reply,
        headers: {
          ...(reply.headers ?? {}),
          "x-ratelimit-limit": String(rateLimit.limit),
          "x-ratelimit-remaining": String(rateLimit.limit - windowCount),
          "x-ratelimit-reset": String(resetEpochSeconds),
        },
      };
    };

  server.route(
    "POST",
    "/jobs",
    limited((request) => {
      const key = headerValue(request.headers["idempotency-key"]);
      if (key && idempotency.has(key)) return { status: 200, body: wireJob(jobs.get(idempotency.get(key)!)!) };
      const body = (request.json ?? {}) as { name?: unknown; items?: unknown; manifest_url?: unknown; webhook_url?: unknown };
      const invalid = (message: string) => ({ status: 422, body: { error: "validation_error", message } });
      if (typeof body.name !== "string" || !body.name.trim()) return invalid("name is required");
      if ((body.items === undefined) === (body.manifest_url === undefined)) return invalid("provide exactly one of items or manifest_url");
      let items: Array<{ item_id: string; url: string }> | undefined;
      let total: number;
      if (body.items !== undefined) {
        if (!Array.isArray(body.items) || body.items.length === 0) return invalid("items must be a non-empty array");
        if (body.items.length > 10_000) return invalid("items may hold at most 10,000 entries; use manifest_url");
        items = [];
        const ids = new Set<string>();
        for (const item of body.items as Array<Record<string, unknown>>) {
          if (typeof item.item_id !== "string" || !item.item_id) return invalid("every item needs an item_id");
          if (ids.has(item.item_id)) return invalid(`duplicate item_id ${item.item_id}`);
          if (typeof item.url !== "string" || !item.url.startsWith("https://")) return invalid(`item ${item.item_id}: url must be https`);
          ids.add(item.item_id);
          items.push({ item_id: item.item_id, url: item.url });
        }
        total = items.length;
      } else {
        if (typeof body.manifest_url !== "string" || !body.manifest_url.startsWith("https://")) return invalid("manifest_url must be https");
        const tracks = Number(new URL(body.manifest_url).searchParams.get("tracks") ?? manifestTracks);
        total = Number.isInteger(tracks) && tracks > 0 ? tracks : manifestTracks;
      }
      const job: HumanStandardFakeJob = {
        id: `job_${String(nextJob++).padStart(6, "0")}`,
        name: body.name,
        ...(items ? { items } : { manifestUrl: body.manifest_url as string }),
        total,
        polls: 0,
        fails: body.name.includes("[fail]"),
        ...(typeof body.webhook_url === "string" ? { webhookUrl: body.webhook_url } : {}),
        createdAt: "2026-03-01T10:00:00Z",
      };
      jobs.set(job.id, job);
      if (key) idempotency.set(key, job.id);
      return { status: 201, body: wireJob(job) };
    }),
  );

  server.route(
    "GET",
    "/jobs/:id",
    limited((_request, params) => {
      const job = jobs.get(params.id!);
      if (!job) return { status: 404, body: { error: "not_found", message: "Job not found" } };
      job.polls += 1;
      return { body: wireJob(job) };
    }),
  );

  server.route(
    "GET",
    "/jobs/:id/results",
    limited((request, params) => {
      const job = jobs.get(params.id!);
      if (!job) return { status: 404, body: { error: "not_found", message: "Job not found" } };
      const page = Number(request.query.get("page") ?? "1");
      const perPage = Number(request.query.get("per_page") ?? "500");
      if (!Number.isInteger(page) || page < 1) return { status: 400, body: { error: "invalid_request", message: "page must be ≥ 1" } };
      if (!Number.isInteger(perPage) || perPage < 1 || perPage > 1000) {
        return { status: 400, body: { error: "invalid_request", message: "per_page must be between 1 and 1000" } };
      }
      if (page === pageToFail) {
        pageToFail = undefined;
        return { status: 404, body: { error: "not_found", message: "Results page not available" } };
      }
      const verdict = request.query.get("verdict");
      const status = request.query.get("status");
      const available = processedOf(job);
      const lines: string[] = [];
      const from = (page - 1) * perPage;
      if (!verdict && !status) {
        for (let position = from; position < Math.min(available, from + perPage); position++) lines.push(lineFor(job, position));
      } else {
        let matched = 0;
        for (let position = 0; position < available && lines.length < perPage; position++) {
          const item = makeRecord(seed, itemIdAt(job, position), position);
          if ((verdict && item.verdict !== verdict) || (status && item.status !== status)) continue;
          if (matched++ >= from) lines.push(lineFor(job, position));
        }
      }
      return { headers: { "content-type": "application/x-ndjson" }, body: lines.length > 0 ? lines.join("\n") + "\n" : "" };
    }),
  );

  const lineFor = (job: HumanStandardFakeJob, position: number): string => {
    const text = JSON.stringify(makeRecord(seed, itemIdAt(job, position), position));
    return corrupt.has(position) ? text.slice(0, Math.floor(text.length / 2)) : text;
  };

  await listenOn(server, options.port);

  const fake: HumanStandardFake = {
    baseUrl: server.baseUrl,
    server,
    apiKey,
    jobs,
    rateLimitedCount: () => rateLimited,
    record,
    truthCounts(jobId) {
      const job = jobs.get(jobId);
      if (!job) throw new Error(`no fake job ${jobId}`);
      const counts: TruthCounts = { human: 0, suspicious: 0, failed: 0, unknown: 0, origins: {} };
      let best = -1;
      for (let position = 0; position < job.total; position++) {
        if (corrupt.has(position)) continue;
        const item = makeRecord(seed, itemIdAt(job, position), position);
        if (item.status === "failed") {
          counts.failed++;
          continue;
        }
        counts[item.verdict ?? "unknown"]++;
        const origin = item.origin ?? "unknown";
        counts.origins[origin] = (counts.origins[origin] ?? 0) + 1;
        const truth = item.scores!.truth_score;
        if (truth > best || (truth === best && item.item_id < counts.mostSuspicious!)) {
          best = truth;
          counts.mostSuspicious = item.item_id;
        }
      }
      return counts;
    },
    complete(jobId) {
      const job = jobs.get(jobId);
      if (job) job.polls = Math.max(job.polls, pollsToComplete);
    },
    signedWebhook(event, secret = HUMANSTANDARD_FAKE_WEBHOOK_SECRET) {
      const rawBody = Buffer.from(JSON.stringify(event));
      const signature = createHmac("sha256", secret).update(rawBody).digest("hex");
      return { headers: { "content-type": "application/json", "x-hs-signature": `sha256=${signature}` }, rawBody };
    },
    jobCompleteEvent(jobId) {
      const job = jobs.get(jobId)!;
      const counts = fake.truthCounts(jobId);
      return {
        event: "job.complete",
        job_id: jobId,
        job_name: job.name,
        completed_at: "2026-03-01T11:00:00Z",
        summary: {
          total: job.total,
          succeeded: job.total - counts.failed,
          failed: counts.failed,
          verdict_counts: { human: counts.human, suspicious: counts.suspicious },
        },
      };
    },
    trackCompleteEvent(jobId, position) {
      const item = record(jobId, position);
      return {
        event: "track.complete",
        job_id: jobId,
        item_id: item.item_id,
        status: item.status,
        verdict: item.verdict,
        tier_verdicts: item.tier_verdicts,
        scores: item.scores,
        processed_at: item.processed_at,
      };
    },
    jobFailedEvent(jobId, message) {
      return { event: "job.failed", job_id: jobId, error: message, completed_at: "2026-03-01T11:00:00Z" };
    },
    async deliverWebhook(url, event, secret) {
      const { headers, rawBody } = fake.signedWebhook(event, secret);
      const response = await fetch(url, { method: "POST", headers, body: rawBody });
      await response.arrayBuffer();
      return response.status;
    },
    close: () => server.close(),
  };
  return fake;
}

/** Deterministic record for an item: same seed and item id, same answer. */
export function makeRecord(seed: number, itemId: string, position: number): HumanStandardFakeRecord {
  const random = mulberry32(fnv1a(`${seed}:${itemId}`));
  const processedAt = "2026-03-01T10:30:00Z";
  const metadata: Record<string, string> =
    position % 3 === 0 ? { title: position % 2 === 0 ? `أغنية رقم ${position + 1}` : `Track ${position + 1}`, artist: `Artist ${position % 97}` } : {};
  if (random() < 0.03) {
    return {
      item_id: itemId,
      status: "failed",
      verdict: null,
      error: FAILURES[Math.floor(random() * FAILURES.length)]!,
      tier_verdicts: null,
      scores: null,
      origin: null,
      origin_confidence: null,
      calibration_version: "2026.02",
      processed_at: processedAt,
      metadata,
    };
  }
  let pick = random();
  let origin = "unknown";
  for (const [name, weight] of ORIGINS) {
    if (pick < weight) {
      origin = name;
      break;
    }
    pick -= weight;
  }
  const spread = random();
  const truth = origin === "human" ? spread * 0.45 : origin === "unknown" ? spread : 0.55 + spread * 0.45;
  const verdict = random() < 0.01 ? null : truth >= 0.5 ? "suspicious" : "human";
  const tier = (threshold: number) => (verdict === null ? null : truth >= threshold ? "suspicious" : "human");
  return {
    item_id: itemId,
    status: "success",
    verdict,
    tier_verdicts: { press_safe: tier(0.3), human_safe: tier(0.5), recall: tier(0.7) },
    scores: { truth_score: round4(truth), reliability: round4(0.35 + random() * 0.65), geo_score: round4(random()) },
    origin,
    origin_confidence: round4(0.5 + random() * 0.5),
    calibration_version: "2026.02",
    processed_at: processedAt,
    metadata,
  };
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

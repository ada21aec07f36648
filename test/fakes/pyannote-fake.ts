// A loopback fake of pyannoteAI that speaks the documented wire format (PROVIDERS.md, seed 004):
// bearer auth, body validation (400 {message, errors[{field,message}]}), jobs that move
// created → running → succeeded as they are polled (or as time passes), deterministic
// diarization output, /v2/jobs paging, the media upload flow with a presigned PUT on a second
// "storage" origin, rate-limit headers (and 429s when a limit is set), outputs that expire,
// and signed webhooks — sent on demand or delivered when a job that asked for one ends.

import { createHmac } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "../../src/bench/seeded-random.js";
import { FakeServer, type FakeReply, type RecordedRequest } from "./fake-server.js";

export const PYANNOTE_FAKE_API_KEY = "pyannote-fake-key-1234567890";

export interface PyannoteFakeOptions {
  apiKey?: string;
  /** Listen on this port (default: any free port). The storage origin always takes a free one. */
  port?: number;
  /** GETs answered "created" then "running" before a job ends (default 1 and 2). */
  createdPolls?: number;
  runningPolls?: number;
  /**
   * The GET that first answers "succeeded" (1 = the first poll). Overrides createdPolls and
   * runningPolls: one "created" answer, then "running" ones.
   */
  pollsUntilDone?: number;
  /** A job also ends this many ms after it was created (whichever comes first with polls). */
  doneAfterMs?: number;
  /** Time-based progress in two steps: running after the first, ended after the second. */
  runningAfterMs?: number;
  succeededAfterMs?: number;
  /** The clock job ages are read from (default Date.now): tests of time-based progress set it. */
  now?: () => number;
  /** Speakers (2–4 is realistic) and segments of each diarization (default 3 and 60). */
  speakers?: number;
  segments?: number;
  /** Mixed into every output's seed; the media URL is the other half. */
  seed?: number | string;
  /** Output is deleted this many ms after the job ends (default: never). */
  outputTtlMs?: number;
  /** URLs containing this string make the job fail. */
  failMarker?: string;
  /** When set, a job started with `webhook` gets a signed delivery there when it ends. */
  webhookSecret?: string;
  /** When set, requests over this many per sliding minute get 429 with Retry-After. */
  requestsPerMinute?: number;
  /** Shorthand for requestsPerMinute: 100, pyannoteAI's documented limit. */
  enforceRateLimit?: boolean;
  /**
   * Extra ports that serve the same account (jobs, uploads, rate limit) as `baseUrl`: give each
   * server process its own base URL and every request says which process sent it (replicas).
   */
  mirrors?: number;
}

/** What the fake's rate limit saw: its window is one sliding minute over the API requests it let through. */
export interface PyannoteRateLimitStats {
  /** The limit it enforces, if any. */
  enforced?: number;
  /** Requests answered 429 because the limit was reached (injected faults not counted). */
  refused: number;
  /** The most requests let through in any 60 s (sliding), and when that window ended. */
  peakPerMinute: number;
  peakAt?: number;
}

export interface FakeJob {
  jobId: string;
  kind: "diarize" | "voiceprint" | "identify";
  body: Record<string, any>;
  polls: number;
  createdAt: string;
  createdAtMs: number;
  /** Epoch ms when the job was first seen ended (output expiry counts from here). */
  succeededAt?: number;
  /** Set by finishJob(): the status every later GET answers. */
  forcedStatus?: "succeeded" | "failed" | "canceled";
  webhookSent?: boolean;
}

export interface WebhookDelivery {
  url: string;
  jobId: string;
  status: string;
  /** Our server's answer, or undefined when the delivery could not be made. */
  httpStatus?: number;
}

export interface SendWebhookOptions {
  secret: string;
  /** Unix seconds; now by default. */
  timestamp?: number;
  /** The docs say base64; one sample shows hex. */
  encoding?: "base64" | "hex";
  /** Changes the body after signing. */
  tamper?: boolean;
  /** Sets x-retry-num (and x-retry-reason), as the vendor's redeliveries do. */
  retryNum?: number;
  /** Leaves out the signature headers. */
  unsigned?: boolean;
}

export interface PyannoteFake {
  baseUrl: string;
  /** `baseUrl` first, then one per mirror: the same account on other ports. */
  baseUrls: string[];
  apiKey: string;
  server: FakeServer;
  /** `server` first, then the mirrors, in the order of `baseUrls`. */
  servers: FakeServer[];
  rateLimitStats(): PyannoteRateLimitStats;
  /** The presigned-upload origin (another origin than baseUrl). */
  storage: FakeServer;
  jobs: Map<string, FakeJob>;
  /** Uploaded bytes by media:// URL. */
  uploads: Map<string, Buffer>;
  /** Whether any request to the storage origin carried an Authorization header. */
  storageSawAuthorization(): boolean;
  /** The body pyannoteAI would post for this job now (no output with webhookStatusOnly). */
  webhookBodyFor(jobId: string): Record<string, unknown>;
  /** The next `times` API requests (matching method/path prefix) answer 429 with Retry-After and X-RateLimit-*. */
  rateLimitNext(options?: { times?: number; retryAfterSeconds?: number; method?: string; pathPrefix?: string }): void;
  /** Deliveries made on their own (webhookSecret set), in order. */
  webhookDeliveries: WebhookDelivery[];
  /** The status a job has now, without counting a poll. */
  statusOf(job: FakeJob): string;
  outputFor(job: FakeJob): Record<string, unknown>;
  /** The voiceprint the fake issues for a voiceprint job (about 2,000 characters). */
  voiceprintFor(jobId: string): string;
  /** Ends a job now (default: succeeded); delivers its webhook when one is due. */
  finishJob(jobId: string, status?: "succeeded" | "failed" | "canceled"): Promise<void>;
  /** Signs `body` like pyannoteAI and POSTs it to `url`; returns the HTTP status. */
  sendWebhook(url: string, body: unknown, options: SendWebhookOptions): Promise<number>;
  close(): Promise<void>;
}


function seedOf(text: string): number {
  let hash = 2166136261;
  for (const char of text) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return hash >>> 0;
}

const WORDS = ["so", "the", "plan", "is", "ready", "we", "ship", "on", "monday", "and", "then", "review", "numbers", "together", "okay"];

export interface DiarizationExtras {
  /** Word- and turn-level transcription like precision-2 with transcription: true. */
  turnLevel?: boolean;
  /** Per-segment speaker → score objects, as with turnLevelConfidence: true. */
  turnLevelConfidence?: boolean;
  /** exclusiveDiarization (one speaker at a time), as with exclusive: true. */
  exclusive?: boolean;
  /** Per-sample confidence {score[], resolution}, as with confidence: true. */
  confidence?: boolean;
  seed?: number | string;
}

const CONFIDENCE_RESOLUTION_S = 0.02;

/**
 * The diarization the fake returns for a media URL. Exported so tests compute expected
 * figures from the same truth, independently of the adapter.
 */
export function diarizationFor(seedText: string, speakers: number, segments: number, transcription: boolean, extras: DiarizationExtras = {}) {
  const random = seededRandom(seedOf(extras.seed === undefined ? seedText : `${extras.seed}:${seedText}`));
  const speakerCount = Math.max(1, speakers);
  const diarization: Array<{ speaker: string; start: number; end: number; confidence?: Record<string, number> }> = [];
  let time = 0.5;
  let speaker = 0;
  for (let index = 0; index < segments; index++) {
    if (speakerCount > 1 && random() < 0.6) speaker = (speaker + 1 + Math.floor(random() * (speakerCount - 1))) % speakerCount;
    const length = 0.8 + random() * 6;
    // Some turns start before the previous one ends: overlapping speech.
    const start = index > 0 && random() < 0.15 ? Math.max(0, time - 0.4 - random() * 0.6) : time + random() * 0.7;
    const score = Math.round(60 + random() * 40);
    const label = `SPEAKER_0${speaker}`;
    diarization.push({
      speaker: label,
      start: round(start),
      end: round(start + length),
      ...(extras.turnLevelConfidence ? { confidence: { [label]: score, ...(speaker === 0 ? {} : { SPEAKER_00: 100 - score }) } } : {}),
    });
    time = start + length;
  }
  const output: Record<string, unknown> = { diarization };
  if (transcription) {
    const words = diarization.flatMap((segment) => {
      const count = Math.max(1, Math.floor((segment.end - segment.start) * 2));
      return Array.from({ length: count }, (_, position) => ({
        start: round(segment.start + ((segment.end - segment.start) * position) / count),
        end: round(segment.start + ((segment.end - segment.start) * (position + 1)) / count),
        text: WORDS[Math.floor(random() * WORDS.length)]!,
        speaker: segment.speaker,
      }));
    });
    output.wordLevelTranscription = words;
    if (extras.turnLevel) {
      output.turnLevelTranscription = diarization.map((segment) => ({
        start: segment.start,
        end: segment.end,
        speaker: segment.speaker,
        text: words
          .filter((word) => word.speaker === segment.speaker && word.start >= segment.start && word.end <= segment.end)
          .map((word) => word.text)
          .join(" "),
      }));
    }
  }
  if (extras.exclusive) output.exclusiveDiarization = exclusiveOf(diarization);
  if (extras.confidence) {
    const end = Math.max(0, ...diarization.map((segment) => segment.end));
    const score: number[] = [];
    for (let sample = 0; sample * CONFIDENCE_RESOLUTION_S < end; sample++) {
      const at = sample * CONFIDENCE_RESOLUTION_S;
      let active = 0;
      for (const segment of diarization) if (segment.start <= at && at < segment.end) active++;
      // Sure inside one speaker's speech, unsure in overlaps and silence.
      score.push(active === 1 ? 80 + Math.floor(random() * 20) : active > 1 ? 30 + Math.floor(random() * 30) : Math.floor(random() * 40));
    }
    output.confidence = { score, resolution: CONFIDENCE_RESOLUTION_S };
  }
  return output;
}

/** One speaker at a time: each segment starts where the previous one ended; same-speaker runs joined. */
export function exclusiveOf(segments: ReadonlyArray<{ speaker: string; start: number; end: number }>): Array<{ speaker: string; start: number; end: number }> {
  const out: Array<{ speaker: string; start: number; end: number }> = [];
  let cursor = 0;
  for (const segment of [...segments].sort((a, b) => a.start - b.start)) {
    const start = Math.max(segment.start, cursor);
    if (segment.end <= start) continue;
    const last = out.at(-1);
    if (last && last.speaker === segment.speaker && start - last.end < 1e-9) last.end = segment.end;
    else out.push({ speaker: segment.speaker, start: round(start), end: segment.end });
    cursor = Math.max(cursor, segment.end);
  }
  return out;
}

/** The vendor's signature: HMAC-SHA256(secret, "v0:{timestamp}:{raw body}"), base64 by default. */
export function signPyannoteWebhook(rawBody: string | Buffer, secret: string, timestamp: number | string, encoding: "base64" | "hex" = "base64"): string {
  return createHmac("sha256", secret).update(`v0:${timestamp}:`).update(rawBody).digest(encoding);
}

const DIARIZE_FIELDS = ["url", "webhook", "webhookStatusOnly", "model", "numSpeakers", "minSpeakers", "maxSpeakers", "turnLevelConfidence", "exclusive", "confidence", "transcription", "transcriptionConfig"];
const IDENTIFY_FIELDS = ["url", "webhook", "webhookStatusOnly", "model", "numSpeakers", "minSpeakers", "maxSpeakers", "turnLevelConfidence", "exclusive", "confidence", "voiceprints", "matching"];
// The voiceprint endpoint's OpenAPI lists url, model and webhook only.
const VOICEPRINT_FIELDS = ["url", "webhook", "model"];

/**
 * FakeServer.listen() takes any free port; a standalone fake (pyannote-fake-main.ts) may need a
 * fixed one, so this reaches the toolkit's node server without changing the shared toolkit.
 */
async function listenOnPort(fake: FakeServer, port: number): Promise<void> {
  const inner = (fake as unknown as { server: Server }).server;
  await new Promise<void>((resolve, reject) => {
    inner.once("error", reject);
    inner.listen(port, "127.0.0.1", () => resolve());
  });
  fake.baseUrl = `http://127.0.0.1:${(inner.address() as AddressInfo).port}`;
}

/** The body an attacker would send: the status flipped (or, without one, one byte more). */
function tamperWith(raw: string): string {
  const flipped = raw.replace(/"status":"([a-z]+)"/, (_match, status: string) => `"status":"${status === "failed" ? "succeeded" : "failed"}"`);
  return flipped === raw ? raw + " " : flipped;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export async function startPyannoteFake(options: PyannoteFakeOptions = {}): Promise<PyannoteFake> {
  const apiKey = options.apiKey ?? PYANNOTE_FAKE_API_KEY;
  const createdPolls = options.pollsUntilDone !== undefined ? Math.min(1, Math.max(0, options.pollsUntilDone - 1)) : (options.createdPolls ?? 1);
  const runningPolls = options.pollsUntilDone !== undefined ? Math.max(0, options.pollsUntilDone - 1 - createdPolls) : (options.runningPolls ?? 2);
  const server = new FakeServer();
  const mirrors = Array.from({ length: options.mirrors ?? 0 }, () => new FakeServer());
  const servers = [server, ...mirrors];
  const storage = new FakeServer();
  if (options.port !== undefined && options.port !== 0) await listenOnPort(server, options.port);
  else await server.listen();
  for (const mirror of mirrors) await mirror.listen();
  await storage.listen();
  /** Every API route is served on the main port and on each mirror. */
  const route = (method: string, pattern: string, handler: Parameters<FakeServer["route"]>[2]) => {
    for (const each of servers) each.route(method, pattern, handler);
  };
  const doneAfterMs = options.doneAfterMs ?? options.succeededAfterMs;
  const runningAfterMs = options.runningAfterMs ?? (doneAfterMs !== undefined ? doneAfterMs / 2 : undefined);
  const clock = options.now ?? Date.now;
  const jobs = new Map<string, FakeJob>();
  const uploads = new Map<string, Buffer>();
  const pendingUploads = new Map<string, string>();
  const webhookDeliveries: WebhookDelivery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  const enforcedLimit = options.requestsPerMinute ?? (options.enforceRateLimit ? 100 : undefined);
  const limit = enforcedLimit ?? 100;
  const sentAt: number[] = [];
  const stats: PyannoteRateLimitStats = { enforced: enforcedLimit, refused: 0, peakPerMinute: 0 };
  let counter = 0;
  let lastCreatedMs = 0;

  const invalid = (errors: Array<{ field: string; message: string }>): FakeReply => ({ status: 400, body: { message: "Validation failed", errors } });
  const voiceprintFor = (jobId: string) => `VP1.${Buffer.from(`voiceprint-of-${jobId}`).toString("base64")}.${"Q".repeat(2_000)}`;

  /** Auth and the sliding-minute rate limit in front of every API route, with X-RateLimit-* headers. */
  const api =
    (handler: (request: RecordedRequest, params: Record<string, string>) => FakeReply) =>
    (request: RecordedRequest, params: Record<string, string>): FakeReply => {
      const now = Date.now();
      while (sentAt.length > 0 && sentAt[0]! <= now - 60_000) sentAt.shift();
      if (request.headers.authorization !== `Bearer ${apiKey}`) {
        return { status: 401, headers: { "x-ratelimit-limit": String(limit), "x-ratelimit-remaining": String(Math.max(0, limit - sentAt.length)) }, body: { requestId: `req-${now}`, message: "Unauthorized" } };
      }
      if (enforcedLimit !== undefined && sentAt.length >= limit) {
        stats.refused++;
        const resetMs = sentAt[0]! + 60_000;
        return {
          status: 429,
          headers: {
            "retry-after": String(Math.max(1, Math.ceil((resetMs - now) / 1000))),
            "x-ratelimit-limit": String(limit),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(Math.ceil(resetMs / 1000)),
          },
          body: { requestId: `req-${now}`, message: "Too many requests" },
        };
      }
      sentAt.push(now);
      if (sentAt.length > stats.peakPerMinute) {
        stats.peakPerMinute = sentAt.length;
        stats.peakAt = now;
      }
      const reply = handler(request, params);
      return { ...reply, headers: { "x-ratelimit-limit": String(limit), "x-ratelimit-remaining": String(Math.max(0, limit - sentAt.length)), ...reply.headers } };
    };

  const statusOf = (job: FakeJob): string => {
    if (job.forcedStatus) return job.forcedStatus;
    const elapsed = clock() - job.createdAtMs;
    const failed = options.failMarker !== undefined && String(job.body.url).includes(options.failMarker);
    if (job.polls > createdPolls + runningPolls || (doneAfterMs !== undefined && elapsed >= doneAfterMs)) {
      return failed ? "failed" : "succeeded";
    }
    if (job.polls > createdPolls || (runningAfterMs !== undefined && elapsed >= runningAfterMs)) return "running";
    return "created";
  };

  const outputFor = (job: FakeJob): Record<string, unknown> => {
    if (job.kind === "voiceprint") return { voiceprint: voiceprintFor(job.jobId) };
    const base = diarizationFor(String(job.body.url), options.speakers ?? 3, options.segments ?? 60, job.body.transcription === true, {
      turnLevel: true,
      turnLevelConfidence: job.body.turnLevelConfidence === true,
      exclusive: job.body.exclusive === true,
      confidence: job.body.confidence === true,
      seed: options.seed,
    });
    if (job.kind === "diarize") return base;
    // Identification: the n-th speaker (sorted) matches the n-th voiceprint, if there is one.
    const labels: string[] = (job.body.voiceprints as Array<{ label: string }>).map((entry) => entry.label);
    const speakers = [...new Set((base.diarization as Array<{ speaker: string }>).map((segment) => segment.speaker))].sort();
    // matching.threshold: a best score under it is no match (the fake's scores are 87.5 / 12.5).
    const threshold = typeof job.body.matching?.threshold === "number" ? job.body.matching.threshold : 0;
    const matchOf = (speaker: string) => {
      const position = speakers.indexOf(speaker);
      return position < labels.length && 87.5 >= threshold ? labels[position]! : null;
    };
    return {
      diarization: base.diarization,
      ...(base.exclusiveDiarization ? { exclusiveDiarization: base.exclusiveDiarization } : {}),
      ...(base.confidence ? { confidence: base.confidence } : {}),
      identification: (base.diarization as Array<{ speaker: string; start: number; end: number }>).map((segment) => ({
        speaker: matchOf(segment.speaker) ?? segment.speaker,
        start: segment.start,
        end: segment.end,
        diarizationSpeaker: segment.speaker,
        match: matchOf(segment.speaker),
      })),
      voiceprints: speakers.map((speaker, position) => ({
        speaker,
        match: matchOf(speaker),
        confidence: Object.fromEntries(labels.map((label, labelPosition) => [label, labelPosition === position ? 87.5 : 12.5])),
      })),
    };
  };

  const deliver = async (url: string, body: unknown, sendOptions: SendWebhookOptions): Promise<number> => {
    const raw = JSON.stringify(body);
    const timestamp = String(sendOptions.timestamp ?? Math.floor(Date.now() / 1000));
    const mac = signPyannoteWebhook(raw, sendOptions.secret, timestamp, sendOptions.encoding ?? "base64");
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (!sendOptions.unsigned) Object.assign(headers, { "x-signature": mac, "x-request-timestamp": timestamp });
    if (sendOptions.retryNum !== undefined) Object.assign(headers, { "x-retry-num": String(sendOptions.retryNum), "x-retry-reason": "timeout" });
    const response = await fetch(url, {
      method: "POST",
      headers,
      body: sendOptions.tamper ? tamperWith(raw) : raw,
    });
    await response.arrayBuffer();
    return response.status;
  };

  /** What pyannoteAI posts: the output too, unless the job asked for webhookStatusOnly. */
  const webhookBody = (job: FakeJob, status: string): Record<string, unknown> => {
    if (job.body.webhookStatusOnly === true) return { jobId: job.jobId, status };
    if (status === "succeeded") return { jobId: job.jobId, status, output: outputFor(job) };
    if (status === "failed") return { jobId: job.jobId, status, output: { error: "Audio file could not be processed" } };
    return { jobId: job.jobId, status };
  };

  /** Marks a job ended (once) and, like pyannoteAI, calls its webhook with the result. */
  const noteEnded = (job: FakeJob): Promise<void> => {
    const status = statusOf(job);
    if (status !== "succeeded" && status !== "failed" && status !== "canceled") return Promise.resolve();
    job.succeededAt ??= Date.now();
    if (job.webhookSent || !options.webhookSecret || typeof job.body.webhook !== "string") return Promise.resolve();
    job.webhookSent = true;
    const delivery: WebhookDelivery = { url: job.body.webhook, jobId: job.jobId, status };
    webhookDeliveries.push(delivery);
    const body = webhookBody(job, status);
    const sending = deliver(job.body.webhook, body, { secret: options.webhookSecret })
      .then((httpStatus) => void (delivery.httpStatus = httpStatus))
      .catch(() => undefined);
    inFlight.add(sending);
    return sending.finally(() => inFlight.delete(sending));
  };

  const validateUrl = (body: Record<string, any>, errors: Array<{ field: string; message: string }>) => {
    if (typeof body.url !== "string" || !/^(https|media):\/\//.test(body.url)) errors.push({ field: "url", message: "url must be https:// or media://" });
    else if (body.url.startsWith("media://") && !uploads.has(body.url)) errors.push({ field: "url", message: "media not found" });
    if (body.webhook !== undefined && (typeof body.webhook !== "string" || !/^https?:\/\//.test(body.webhook))) errors.push({ field: "webhook", message: "webhook must be a URL" });
    if (body.model !== undefined && !["precision-1", "precision-2", "community-1"].includes(body.model)) errors.push({ field: "model", message: "unknown model" });
  };
  const validateDiarize = (body: Record<string, any>, errors: Array<{ field: string; message: string }>) => {
    for (const field of ["numSpeakers", "minSpeakers", "maxSpeakers"]) {
      if (body[field] !== undefined && (!Number.isInteger(body[field]) || body[field] < 1)) errors.push({ field, message: "must be a positive integer" });
    }
    if (body.numSpeakers !== undefined && (body.minSpeakers !== undefined || body.maxSpeakers !== undefined)) {
      errors.push({ field: "numSpeakers", message: "numSpeakers cannot be combined with min/maxSpeakers" });
    }
    if (body.minSpeakers !== undefined && body.maxSpeakers !== undefined && body.minSpeakers > body.maxSpeakers) {
      errors.push({ field: "minSpeakers", message: "minSpeakers must not exceed maxSpeakers" });
    }
    for (const field of ["exclusive", "confidence", "turnLevelConfidence", "transcription"]) {
      if (body[field] !== undefined && typeof body[field] !== "boolean") errors.push({ field, message: "must be a boolean" });
    }
    if (body.transcription && body.model && body.model !== "precision-2") errors.push({ field: "transcription", message: "precision-2 only" });
  };

  const create = (kind: FakeJob["kind"]) =>
    api((request) => {
      const body = (request.json ?? {}) as Record<string, any>;
      const errors: Array<{ field: string; message: string }> = [];
      // Unknown fields are refused, so a misspelt field in the adapter shows up in tests.
      const allowed = kind === "diarize" ? DIARIZE_FIELDS : kind === "identify" ? IDENTIFY_FIELDS : VOICEPRINT_FIELDS;
      for (const field of Object.keys(body)) if (!allowed.includes(field)) errors.push({ field, message: `property ${field} should not exist` });
      validateUrl(body, errors);
      if (kind !== "voiceprint") validateDiarize(body, errors);
      else if (body.model !== undefined && body.model !== "precision-2") errors.push({ field: "model", message: "model must be precision-2" });
      if (kind === "identify") {
        if (!Array.isArray(body.voiceprints) || body.voiceprints.length < 1 || body.voiceprints.length > 50) errors.push({ field: "voiceprints", message: "1 to 50 voiceprints" });
        else
          for (const entry of body.voiceprints) {
            if (typeof entry?.label !== "string" || entry.label.length > 100 || entry.label.startsWith("speaker_") || typeof entry?.voiceprint !== "string" || entry.voiceprint.length === 0) {
              errors.push({ field: "voiceprints", message: "each voiceprint needs a label (≤100 chars, not speaker_…) and a voiceprint" });
            }
          }
        const threshold = body.matching?.threshold;
        if (threshold !== undefined && (typeof threshold !== "number" || threshold < 0 || threshold > 100)) errors.push({ field: "matching.threshold", message: "0 to 100" });
        if (body.transcription !== undefined) errors.push({ field: "transcription", message: "not supported for identify" });
      }
      if (errors.length > 0) return invalid(errors);
      const jobId = `${kind}-${String(++counter).padStart(4, "0")}-${seedOf(String(body.url)).toString(16)}`;
      // Strictly increasing creation times, so "newest first" is well defined within a millisecond.
      const createdAtMs = Math.max(clock(), lastCreatedMs + 1);
      lastCreatedMs = createdAtMs;
      const job: FakeJob = { jobId, kind, body, polls: 0, createdAt: new Date(createdAtMs).toISOString(), createdAtMs };
      jobs.set(jobId, job);
      if (doneAfterMs !== undefined && options.webhookSecret && typeof body.webhook === "string") {
        const timer = setTimeout(() => {
          timers.delete(timer);
          void noteEnded(job);
        }, doneAfterMs + 5);
        timers.add(timer);
      }
      return { body: { jobId, status: "created" } };
    });

  route("POST", "/v1/diarize", create("diarize"));
  route("POST", "/v1/voiceprint", create("voiceprint"));
  route("POST", "/v1/identify", create("identify"));

  route(
    "GET",
    "/v1/jobs/:id",
    api((_request, params) => {
      const job = jobs.get(params.id!);
      if (!job) return { status: 404, body: { message: "Job not found" } };
      job.polls++;
      const status = statusOf(job);
      void noteEnded(job);
      const base = { jobId: job.jobId, status, createdAt: job.createdAt, updatedAt: new Date().toISOString() };
      if (status === "failed") return { body: { ...base, output: { error: "Audio file could not be processed\n(corrupted header)" } } };
      if (status !== "succeeded") return { body: base };
      const expired = options.outputTtlMs !== undefined && Date.now() - job.succeededAt! > options.outputTtlMs;
      return { body: expired ? base : { ...base, output: outputFor(job) } };
    }),
  );

  route(
    "GET",
    "/v2/jobs",
    api((request) => {
      const limitParam = Number(request.query.get("limit") ?? 10);
      if (!Number.isInteger(limitParam) || limitParam < 1 || limitParam > 100) return invalid([{ field: "limit", message: "1 to 100" }]);
      const status = request.query.get("status");
      const ordered = [...jobs.values()]
        .sort((a, b) => b.createdAtMs - a.createdAtMs)
        .filter((job) => !status || statusOf(job) === status || (status === "pending" && statusOf(job) === "created"));
      const cursor = request.query.get("cursor");
      const startAt = cursor ? ordered.findIndex((job) => job.jobId === cursor) : 0;
      if (startAt < 0) return invalid([{ field: "cursor", message: "unknown cursor" }]);
      const page = ordered.slice(startAt, startAt + limitParam);
      const next = ordered[startAt + limitParam];
      return { body: { items: page.map((job) => ({ id: job.jobId, status: statusOf(job), createdAt: job.createdAt })), nextCursor: next ? next.jobId : null } };
    }),
  );

  route(
    "POST",
    "/v1/media/input",
    api((request) => {
      const url = (request.json as { url?: string } | undefined)?.url;
      if (!url || !/^media:\/\/[A-Za-z0-9\-_./]{1,255}$/.test(url)) return invalid([{ field: "url", message: "media:// key must match [A-Za-z0-9-_./], ≤255" }]);
      const token = `put-${++counter}`;
      pendingUploads.set(token, url);
      return { status: 201, body: { url: `${storage.baseUrl}/upload/${token}?X-Amz-Signature=presigned` } };
    }),
  );

  storage.route("PUT", "/upload/:token", (request, params) => {
    const url = pendingUploads.get(params.token!);
    if (!url) return { status: 403, body: "expired" };
    // Like S3: a presigned PUT takes a Content-Length, not a chunked body.
    if (request.headers["content-length"] === undefined) return { status: 411, body: "MissingContentLength" };
    pendingUploads.delete(params.token!);
    uploads.set(url, request.body);
    return { status: 200 };
  });

  return {
    baseUrl: server.baseUrl,
    baseUrls: servers.map((each) => each.baseUrl),
    apiKey,
    server,
    servers,
    rateLimitStats: () => ({ ...stats }),
    storage,
    jobs,
    uploads,
    webhookDeliveries,
    storageSawAuthorization: () => storage.requests.some((request) => request.headers.authorization !== undefined),
    statusOf,
    outputFor,
    voiceprintFor,
    async finishJob(jobId, status = "succeeded") {
      const job = jobs.get(jobId);
      if (!job) throw new Error(`the pyannote fake has no job ${jobId}`);
      job.forcedStatus = status;
      await noteEnded(job);
    },
    sendWebhook: deliver,
    webhookBodyFor(jobId) {
      const job = jobs.get(jobId);
      if (!job) throw new Error(`the pyannote fake has no job ${jobId}`);
      return webhookBody(job, statusOf(job));
    },
    rateLimitNext(limitOptions = {}) {
      const retryAfter = limitOptions.retryAfterSeconds ?? 1;
      // Faults go to the main port only: a test that wants them on mirrors injects them there.
      server.injectFault(
        {
          kind: "status",
          status: 429,
          headers: {
            "retry-after": String(retryAfter),
            "x-ratelimit-limit": String(limit),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + retryAfter),
          },
          body: { requestId: "req-rate-limited", message: "Too many requests" },
        },
        { times: limitOptions.times ?? 1, method: limitOptions.method, pathPrefix: limitOptions.pathPrefix },
      );
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await Promise.allSettled([...inFlight]);
      for (const each of servers) await each.close();
      await storage.close();
    },
  };
}

// A loopback fake of pyannoteAI that speaks the documented wire format: bearer auth, body
// validation, jobs that move created → running → succeeded as they are polled, deterministic
// diarization output, /v2/jobs paging, the media upload flow with a presigned PUT on a second
// "storage" origin, rate-limit headers, and signed webhooks.

import { createHmac } from "node:crypto";
import { FakeServer, type RecordedRequest } from "./fake-server.js";

export const PYANNOTE_FAKE_API_KEY = "pyannote-fake-key-1234567890";

export interface PyannoteFakeOptions {
  apiKey?: string;
  /** GETs answered "created" then "running" before a job succeeds (default 1 and 2). */
  createdPolls?: number;
  runningPolls?: number;
  /** Speakers and segments of each diarization (default 3 speakers, 60 segments). */
  speakers?: number;
  segments?: number;
  /** Output is deleted this many ms after the job succeeds (default: never). */
  outputTtlMs?: number;
  /** URLs containing this string make the job fail. */
  failMarker?: string;
}

export interface FakeJob {
  jobId: string;
  kind: "diarize" | "voiceprint" | "identify";
  body: Record<string, any>;
  polls: number;
  createdAt: string;
  succeededAt?: number;
}

export interface PyannoteFake {
  baseUrl: string;
  apiKey: string;
  server: FakeServer;
  storage: FakeServer;
  jobs: Map<string, FakeJob>;
  /** Uploaded bytes by media:// key. */
  uploads: Map<string, Buffer>;
  outputFor(job: FakeJob): Record<string, unknown>;
  /** The voiceprint the fake issues for a voiceprint job. */
  voiceprintFor(jobId: string): string;
  sendWebhook(url: string, body: unknown, options: { secret: string; timestamp?: number; encoding?: "base64" | "hex"; tamper?: boolean }): Promise<number>;
  close(): Promise<void>;
}

/** Small deterministic PRNG so outputs are stable across runs. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

function seedOf(text: string): number {
  let hash = 2166136261;
  for (const char of text) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return hash >>> 0;
}

const WORDS = ["so", "the", "plan", "is", "ready", "we", "ship", "on", "monday", "and", "then", "review", "numbers", "together", "okay"];

export function diarizationFor(seedText: string, speakers: number, segments: number, transcription: boolean) {
  const random = prng(seedOf(seedText));
  const diarization: Array<{ speaker: string; start: number; end: number; confidence: number }> = [];
  let time = 0.5;
  let speaker = 0;
  for (let index = 0; index < segments; index++) {
    if (random() < 0.6) speaker = (speaker + 1 + Math.floor(random() * (speakers - 1))) % speakers;
    const length = 0.8 + random() * 6;
    // Some turns start before the previous one ends: overlapping speech.
    const start = index > 0 && random() < 0.15 ? Math.max(0, time - 0.4 - random() * 0.6) : time + random() * 0.7;
    diarization.push({ speaker: `SPEAKER_0${speaker}`, start: round(start), end: round(start + length), confidence: round(0.6 + random() * 0.4) });
    time = start + length;
  }
  const output: Record<string, unknown> = { diarization };
  if (transcription) {
    output.wordLevelTranscription = diarization.flatMap((segment) => {
      const count = Math.max(1, Math.floor((segment.end - segment.start) * 2));
      return Array.from({ length: count }, (_, position) => ({
        start: round(segment.start + ((segment.end - segment.start) * position) / count),
        end: round(segment.start + ((segment.end - segment.start) * (position + 1)) / count),
        text: WORDS[Math.floor(random() * WORDS.length)]!,
        speaker: segment.speaker,
      }));
    });
  }
  return output;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export async function startPyannoteFake(options: PyannoteFakeOptions = {}): Promise<PyannoteFake> {
  const apiKey = options.apiKey ?? PYANNOTE_FAKE_API_KEY;
  const createdPolls = options.createdPolls ?? 1;
  const runningPolls = options.runningPolls ?? 2;
  const server = new FakeServer();
  const storage = new FakeServer();
  await server.listen();
  await storage.listen();
  const jobs = new Map<string, FakeJob>();
  const uploads = new Map<string, Buffer>();
  const pendingUploads = new Map<string, string>();
  let counter = 0;
  let sent = 0;

  const rateHeaders = () => ({ "x-ratelimit-limit": "100", "x-ratelimit-remaining": String(Math.max(0, 100 - (sent++ % 100))) });
  const unauthorized = (request: RecordedRequest) => request.headers.authorization !== `Bearer ${apiKey}`;
  const invalid = (errors: Array<{ field: string; message: string }>) => ({ status: 400, body: { message: "Validation failed", errors } });
  const voiceprintFor = (jobId: string) => `VP1.${Buffer.from(`voiceprint-of-${jobId}`).toString("base64")}.${"Q".repeat(2_000)}`;

  const outputFor = (job: FakeJob): Record<string, unknown> => {
    if (job.kind === "voiceprint") return { voiceprint: voiceprintFor(job.jobId) };
    const base = diarizationFor(String(job.body.url), options.speakers ?? 3, options.segments ?? 60, job.body.transcription === true);
    if (job.kind === "diarize") return base;
    const labels: string[] = (job.body.voiceprints as Array<{ label: string }>).map((entry) => entry.label);
    const speakers = [...new Set((base.diarization as Array<{ speaker: string }>).map((segment) => segment.speaker))].sort();
    const matchOf = (speaker: string) => {
      const position = speakers.indexOf(speaker);
      return position < labels.length ? labels[position]! : null;
    };
    return {
      ...base,
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

  const validateUrl = (body: Record<string, any>, errors: Array<{ field: string; message: string }>) => {
    if (typeof body.url !== "string" || !/^(https|media):\/\//.test(body.url)) errors.push({ field: "url", message: "url must be https:// or media://" });
    else if (body.url.startsWith("media://") && !uploads.has(body.url)) errors.push({ field: "url", message: "media not found" });
  };
  const validateDiarize = (body: Record<string, any>, errors: Array<{ field: string; message: string }>) => {
    for (const field of ["numSpeakers", "minSpeakers", "maxSpeakers"]) {
      if (body[field] !== undefined && (!Number.isInteger(body[field]) || body[field] < 1)) errors.push({ field, message: "must be a positive integer" });
    }
    if (body.numSpeakers !== undefined && (body.minSpeakers !== undefined || body.maxSpeakers !== undefined)) {
      errors.push({ field: "numSpeakers", message: "numSpeakers cannot be combined with min/maxSpeakers" });
    }
    if (body.transcription && body.model && body.model !== "precision-2") errors.push({ field: "transcription", message: "precision-2 only" });
  };

  const create = (kind: FakeJob["kind"]) => (request: RecordedRequest) => {
    if (unauthorized(request)) return { status: 401, body: { message: "Unauthorized" } };
    const body = (request.json ?? {}) as Record<string, any>;
    const errors: Array<{ field: string; message: string }> = [];
    validateUrl(body, errors);
    if (kind !== "voiceprint") validateDiarize(body, errors);
    if (kind === "identify") {
      if (!Array.isArray(body.voiceprints) || body.voiceprints.length < 1 || body.voiceprints.length > 50) errors.push({ field: "voiceprints", message: "1 to 50 voiceprints" });
      else for (const entry of body.voiceprints) {
        if (typeof entry?.label !== "string" || typeof entry?.voiceprint !== "string" || entry.label.startsWith("speaker_")) errors.push({ field: "voiceprints", message: "label and voiceprint required" });
      }
      if (body.transcription !== undefined) errors.push({ field: "transcription", message: "not supported for identify" });
    }
    if (errors.length > 0) return invalid(errors);
    const jobId = `${kind}-${String(++counter).padStart(4, "0")}-${seedOf(String(body.url)).toString(16)}`;
    jobs.set(jobId, { jobId, kind, body, polls: 0, createdAt: new Date(Date.now() + counter).toISOString() });
    return { headers: rateHeaders(), body: { jobId, status: "created" } };
  };

  server.route("POST", "/v1/diarize", create("diarize"));
  server.route("POST", "/v1/voiceprint", create("voiceprint"));
  server.route("POST", "/v1/identify", create("identify"));

  server.route("GET", "/v1/jobs/:id", (request, params) => {
    if (unauthorized(request)) return { status: 401, body: { message: "Unauthorized" } };
    const job = jobs.get(params.id!);
    if (!job) return { status: 404, body: { message: "Job not found" } };
    job.polls++;
    const failed = options.failMarker && String(job.body.url).includes(options.failMarker);
    let status = "created";
    if (job.polls > createdPolls) status = "running";
    if (job.polls > createdPolls + runningPolls) status = failed ? "failed" : "succeeded";
    const base = { jobId: job.jobId, status, createdAt: job.createdAt, updatedAt: new Date().toISOString() };
    if (status === "failed") return { headers: rateHeaders(), body: { ...base, output: { error: "Audio file could not be processed\n(corrupted header)" } } };
    if (status !== "succeeded") return { headers: rateHeaders(), body: base };
    job.succeededAt ??= Date.now();
    const expired = options.outputTtlMs !== undefined && Date.now() - job.succeededAt > options.outputTtlMs;
    return { headers: rateHeaders(), body: expired ? base : { ...base, output: outputFor(job) } };
  });

  server.route("GET", "/v2/jobs", (request) => {
    if (unauthorized(request)) return { status: 401, body: { message: "Unauthorized" } };
    const limit = Math.min(100, Number(request.query.get("limit") ?? 10));
    const ordered = [...jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const cursor = request.query.get("cursor");
    const startAt = cursor ? ordered.findIndex((job) => job.jobId === cursor) : 0;
    const page = ordered.slice(Math.max(0, startAt), Math.max(0, startAt) + limit);
    const next = ordered[Math.max(0, startAt) + limit];
    return {
      headers: rateHeaders(),
      body: { items: page.map((job) => ({ id: job.jobId, status: job.polls > createdPolls + runningPolls ? "succeeded" : "created", createdAt: job.createdAt })), nextCursor: next ? next.jobId : null },
    };
  });

  server.route("POST", "/v1/media/input", (request) => {
    if (unauthorized(request)) return { status: 401, body: { message: "Unauthorized" } };
    const url = (request.json as { url?: string } | undefined)?.url;
    if (!url || !/^media:\/\/[A-Za-z0-9\-_./]{1,255}$/.test(url)) return invalid([{ field: "url", message: "media:// key must match [A-Za-z0-9-_./], ≤255" }]);
    const token = `put-${++counter}`;
    pendingUploads.set(token, url);
    return { status: 201, headers: rateHeaders(), body: { url: `${storage.baseUrl}/upload/${token}?signature=presigned` } };
  });

  storage.route("PUT", "/upload/:token", (request, params) => {
    const url = pendingUploads.get(params.token!);
    if (!url) return { status: 403, body: "expired" };
    uploads.set(url, request.body);
    return { status: 200 };
  });

  return {
    baseUrl: server.baseUrl,
    apiKey,
    server,
    storage,
    jobs,
    uploads,
    outputFor,
    voiceprintFor,
    async sendWebhook(url, body, webhookOptions) {
      const raw = JSON.stringify(body);
      const timestamp = String(webhookOptions.timestamp ?? Math.floor(Date.now() / 1000));
      const mac = createHmac("sha256", webhookOptions.secret).update(`v0:${timestamp}:${raw}`).digest(webhookOptions.encoding ?? "base64");
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-signature": mac, "x-request-timestamp": timestamp },
        body: webhookOptions.tamper ? raw.replace("succeeded", "failed") : raw,
      });
      await response.arrayBuffer();
      return response.status;
    },
    async close() {
      await server.close();
      await storage.close();
    },
  };
}

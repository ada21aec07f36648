// A loopback fake of Hume's Expression Measurement batch API v0 (seeds 000/001, PROVIDERS.md):
// POST /v0/batch/jobs (JSON or multipart with a `json` part and `file` parts), GET job details,
// list, predictions and artifacts. Jobs answer QUEUED, then IN_PROGRESS, then COMPLETED (or
// FAILED) over successive GETs. Outcomes are chosen by the input's name:
//   …fail-job…      the whole job FAILED
//   …unreachable…   that source carries an `error` (Hume could not fetch it)
//   ….zip           an archive: two predicted files, one more reported in `errors`
// Predictions come from the seeded generator in src/providers/hume/hume-payload-generator.ts,
// limited to the models the request asked for (all when `models` is omitted).

import { createHash, randomUUID } from "node:crypto";
import { crc32 } from "node:zlib";
import {
  generateHumePredictions,
  type GeneratedFileSpec,
  type GeneratedModels,
} from "../../src/providers/hume/hume-payload-generator.js";
import { FakeServer, type FakeReply, type RecordedRequest } from "./fake-server.js";

export { generateHumePredictions, oneHourVideoSpec, seededRandom } from "../../src/providers/hume/hume-payload-generator.js";

export const HUME_FAKE_API_KEY = "hume-fake-key-7f3a9c2e51b84d06";

export interface HumeFakeOptions {
  apiKey?: string;
  /** GETs answered QUEUED, then IN_PROGRESS, before the job ends (default 1 and 1). */
  queuedPolls?: number;
  runningPolls?: number;
  /** Seconds of media per URL or file (default 20). */
  durationS?: number;
  seed?: number;
  /** Creation times come from this clock (default: a fixed clock, one second per job). */
  clock?: () => number;
}

export interface HumeFakeUpload {
  filename: string;
  contentType: string;
  bytes: number;
  md5sum: string;
}

export interface HumeFakeStartRecord {
  contentType: string;
  /** The JSON body, or the parsed `json` part of a multipart upload. */
  config: Record<string, any>;
  /** Names of the multipart parts in order ("json", "file", …); empty for a JSON start. */
  parts: string[];
  files: HumeFakeUpload[];
}

export interface HumeFakeJob {
  id: string;
  request: Record<string, any>;
  files: HumeFakeUpload[];
  polls: number;
  createdMs: number;
  startedMs?: number;
  endedMs?: number;
  failed: boolean;
  sources: GeneratedFileSpec[];
}

export interface HumeFake {
  baseUrl: string;
  server: FakeServer;
  apiKey: string;
  jobs: Map<string, HumeFakeJob>;
  starts: HumeFakeStartRecord[];
  /** The predictions body the job returns once completed. */
  predictionsFor(jobId: string): unknown[];
  /** The unsigned callback Hume would POST to callback_url. */
  callbackBody(jobId: string): Buffer;
  close(): Promise<void>;
}

const NOT_FOUND: FakeReply = { status: 404, body: { message: "Job not found" } };

export async function startHumeFake(options: HumeFakeOptions = {}): Promise<HumeFake> {
  const apiKey = options.apiKey ?? HUME_FAKE_API_KEY;
  const queuedPolls = options.queuedPolls ?? 1;
  const runningPolls = options.runningPolls ?? 1;
  const durationS = options.durationS ?? 20;
  const server = new FakeServer();
  const jobs = new Map<string, HumeFakeJob>();
  const starts: HumeFakeStartRecord[] = [];
  const predictions = new Map<string, unknown[]>();
  let clock = Date.parse("2026-03-01T10:00:00Z");

  const unauthorized = (request: RecordedRequest): FakeReply | undefined =>
    request.headers["x-hume-api-key"] !== apiKey ? { status: 401, body: { fault: { faultstring: "Invalid ApiKey", detail: { errorcode: "oauth.v2.InvalidApiKey" } } } } : undefined;

  const statusOf = (job: HumeFakeJob): string => {
    if (job.polls <= queuedPolls) return "QUEUED";
    if (job.polls <= queuedPolls + runningPolls) return "IN_PROGRESS";
    return job.failed ? "FAILED" : "COMPLETED";
  };

  const wireJob = (job: HumeFakeJob) => {
    const status = statusOf(job);
    if (status !== "QUEUED") job.startedMs ??= job.createdMs + 400;
    if (status === "COMPLETED" || status === "FAILED") job.endedMs ??= job.createdMs + 5_000;
    const payload = status === "COMPLETED" ? predictionsOf(job) : [];
    const errorCount = payload.reduce<number>((sum, entry: any) => sum + (entry.error ? 1 : 0) + (entry.results?.errors?.length ?? 0), 0);
    return {
      type: "INFERENCE",
      job_id: job.id,
      request: {
        callback_url: job.request.callback_url ?? null,
        files: job.files.map((file) => ({ filename: file.filename, content_type: file.contentType, md5sum: file.md5sum })),
        models: job.request.models ?? null,
        notify: job.request.notify ?? false,
        text: job.request.text ?? [],
        urls: job.request.urls ?? [],
      },
      state: {
        status,
        created_timestamp_ms: job.createdMs,
        ...(job.startedMs && status !== "QUEUED" ? { started_timestamp_ms: job.startedMs } : {}),
        ...(job.endedMs && (status === "COMPLETED" || status === "FAILED") ? { ended_timestamp_ms: job.endedMs } : {}),
        ...(status === "COMPLETED" ? { num_predictions: payload.length - errorCount, num_errors: errorCount } : {}),
        ...(status === "FAILED" ? { message: "Job failed: media could not be decoded\u0000 (internal ref 7781)" } : {}),
      },
    };
  };

  function predictionsOf(job: HumeFakeJob): unknown[] {
    let payload = predictions.get(job.id);
    if (!payload) {
      payload = generateHumePredictions(job.sources, (options.seed ?? 1) + job.createdMs % 1000);
      predictions.set(job.id, payload);
    }
    return payload;
  }

  const modelsWanted = (request: Record<string, any>, hasTime: boolean): GeneratedModels => {
    const asked = request.models as Record<string, any> | undefined;
    const all = !asked || Object.keys(asked).length === 0;
    const face = asked?.face ?? {};
    const prosody = asked?.prosody ?? {};
    const language = asked?.language ?? {};
    const speakers = prosody.identify_speakers || language.identify_speakers || request.transcription?.identify_speakers ? 2 : 1;
    const models: GeneratedModels = {};
    if (hasTime && (all || asked?.face)) {
      models.face = {
        fps: typeof face.fps_pred === "number" && face.fps_pred > 0 ? face.fps_pred : 3,
        groups: face.identify_faces ? 2 : 1,
        facs: face.facs !== undefined && face.facs !== null,
        descriptions: face.descriptions !== undefined && face.descriptions !== null,
      };
    }
    if (hasTime && (all || asked?.prosody)) models.prosody = { speakers };
    if (hasTime && (all || asked?.burst)) models.burst = { count: 3 };
    if (all || asked?.language) {
      models.language = {
        granularity: language.granularity === "sentence" ? "sentence" : "word",
        speakers,
        sentiment: all || language.sentiment !== undefined,
        toxicity: all || language.toxicity !== undefined,
      };
    }
    if (all || asked?.ner) models.ner = { mentions: 6 };
    if (all || asked?.facemesh) models.facemesh = { count: 3 };
    return models;
  };

  const sourcesOf = (request: Record<string, any>, files: HumeFakeUpload[]): GeneratedFileSpec[] => {
    const sources: GeneratedFileSpec[] = [];
    const media = (name: string, source: GeneratedFileSpec["source"]): GeneratedFileSpec[] => {
      if (name.includes("unreachable")) return [{ source, error: `Failed to fetch media from ${name}: 403 Forbidden` }];
      if (name.endsWith(".zip")) {
        // One source, two predicted files, and one file Hume could not read.
        return [
          {
            source,
            durationS,
            models: modelsWanted(request, true),
            archiveFiles: ["archive/clip-a.mp4", "archive/clip-b.mp4"],
            fileErrors: [{ file: "archive/clip-c.mov", message: "Unsupported codec" }],
          },
        ];
      }
      return [{ source, durationS, models: modelsWanted(request, true) }];
    };
    for (const url of (request.urls as string[] | undefined) ?? []) sources.push(...media(url, { type: "url", url }));
    for (const file of files) sources.push(...media(file.filename, { type: "file", filename: file.filename, content_type: file.contentType }));
    for (const text of (request.text as string[] | undefined) ?? []) {
      sources.push({ source: { type: "text" }, models: { ...modelsWanted(request, false), language: { ...modelsWanted(request, false).language, text } } });
    }
    return sources;
  };

  server.route("POST", "/v0/batch/jobs", async (request) => {
    const denied = unauthorized(request);
    if (denied) return denied;
    const contentType = String(request.headers["content-type"] ?? "");
    let config: Record<string, any> = {};
    const parts: string[] = [];
    const files: HumeFakeUpload[] = [];
    if (contentType.startsWith("multipart/form-data")) {
      const form = await new Response(new Uint8Array(request.body), { headers: { "content-type": contentType } }).formData();
      for (const [name, value] of form.entries()) {
        parts.push(name);
        if (name === "json" && typeof value === "string") config = JSON.parse(value) as Record<string, any>;
        else if (name === "file" && typeof value !== "string") {
          const bytes = Buffer.from(await value.arrayBuffer());
          files.push({
            filename: value.name,
            contentType: value.type || "application/octet-stream",
            bytes: bytes.length,
            md5sum: createHash("md5").update(bytes).digest("hex"),
          });
        }
      }
    } else if (request.json && typeof request.json === "object") {
      config = request.json as Record<string, any>;
    } else {
      return { status: 400, body: { message: "Request body must be JSON or multipart/form-data" } };
    }
    starts.push({ contentType, config, parts, files });
    if (!config.urls?.length && !config.text?.length && files.length === 0) {
      return { status: 400, body: { message: "At least one of urls, text or file is required" } };
    }
    clock = options.clock ? options.clock() : clock + 1_000;
    const id = randomUUID();
    const names = [...(config.urls ?? []), ...files.map((file) => file.filename)] as string[];
    jobs.set(id, {
      id,
      request: config,
      files,
      polls: 0,
      createdMs: clock,
      failed: names.some((name) => name.includes("fail-job")),
      sources: sourcesOf(config, files),
    });
    return { body: { job_id: id } };
  });

  server.route("GET", "/v0/batch/jobs", (request) => {
    const denied = unauthorized(request);
    if (denied) return denied;
    const limit = Number(request.query.get("limit") ?? 50);
    const statuses = request.query.getAll("status");
    const when = request.query.get("when");
    const timestamp = request.query.get("timestamp_ms");
    const sortBy = request.query.get("sort_by") ?? "created";
    const direction = request.query.get("direction") ?? "desc";
    let list = [...jobs.values()].map((job) => wireJob(job));
    if (statuses.length > 0) list = list.filter((job) => statuses.includes(job.state.status));
    if (when && timestamp) {
      const bound = Number(timestamp);
      list = list.filter((job) => (when === "created_before" ? job.state.created_timestamp_ms < bound : job.state.created_timestamp_ms > bound));
    }
    const key = `${sortBy}_timestamp_ms` as "created_timestamp_ms";
    list.sort((a, b) => ((a.state[key] ?? 0) - (b.state[key] ?? 0)) * (direction === "asc" ? 1 : -1));
    return { body: list.slice(0, limit) };
  });

  server.route("GET", "/v0/batch/jobs/:id", (request, params) => {
    const denied = unauthorized(request);
    if (denied) return denied;
    const job = jobs.get(params.id!);
    if (!job) return NOT_FOUND;
    job.polls++;
    return { body: wireJob(job) };
  });

  server.route("GET", "/v0/batch/jobs/:id/predictions", (request, params) => {
    const denied = unauthorized(request);
    if (denied) return denied;
    const job = jobs.get(params.id!);
    if (!job) return NOT_FOUND;
    if (statusOf(job) !== "COMPLETED") return { status: 400, body: { message: `Job is ${statusOf(job)}, predictions are not available` } };
    return { body: predictionsOf(job) };
  });

  server.route("GET", "/v0/batch/jobs/:id/artifacts", (request, params) => {
    const denied = unauthorized(request);
    if (denied) return denied;
    const job = jobs.get(params.id!);
    if (!job) return NOT_FOUND;
    if (statusOf(job) !== "COMPLETED") return { status: 400, body: { message: "Job is not completed" } };
    return {
      headers: { "content-type": "application/zip" },
      body: storedZip([{ name: "face.csv", data: Buffer.from("frame,time,Joy\n0,0,0.5\n") }]),
    };
  });

  await server.listen();
  return {
    baseUrl: server.baseUrl,
    server,
    apiKey,
    jobs,
    starts,
    predictionsFor(jobId) {
      const job = jobs.get(jobId);
      if (!job) throw new Error(`no fake job ${jobId}`);
      return predictionsOf(job);
    },
    callbackBody(jobId) {
      const job = jobs.get(jobId);
      return Buffer.from(JSON.stringify({ job_id: jobId, status: job?.failed ? "FAILED" : "COMPLETED" }));
    },
    close: () => server.close(),
  };
}

/** A minimal zip (stored, no compression): enough for a client that keeps the bytes. */
export function storedZip(entries: Array<{ name: string; data: Buffer }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.data);
    centrals.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

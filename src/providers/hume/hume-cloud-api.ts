// Hume's current Expression Measurement API (https://api.cloud.hume.ai, limited release since
// 2026-10-06): limits, request options and tolerant readers of the upload responses.
//
// The docs confirm the field names of a measurement (trigger, audio_start_ms, audio_end_ms,
// expressions, voice_attributes as {name, probability}) and of a face (face_id, expressions,
// descriptions), but not the envelopes: whether measurements sit inside each utterance or in a
// top-level list, nor the names of the per-image results array, the bounding box and the
// detection confidence (docs/hume-current-api-notes.md). So the readers accept every plausible
// nesting, ignore unknown fields, and name the field when a required one is missing.

import { z } from "zod";
import { UserInputError } from "../../errors.js";

/** "25 MB for the whole multipart body"; read as decimal megabytes, the stricter reading. */
export const HUME_CLOUD_MAX_BODY_BYTES = 25_000_000;
/** Per image: "2 MB", read as decimal megabytes. */
export const HUME_CLOUD_MAX_IMAGE_BYTES = 2_000_000;
/** 3840 × 2160. */
export const HUME_CLOUD_MAX_IMAGE_PIXELS = 8_294_400;
export const HUME_CLOUD_SAMPLE_RATE = 16_000;
export const HUME_CLOUD_TIMER_MS = { min: 3_000, max: 10_000, default: 3_000 } as const;

export const HUME_CLOUD_TASKS = ["audio_expression", "image_expression"] as const;
export type HumeCloudTask = (typeof HUME_CLOUD_TASKS)[number];

export function isHumeCloudTask(task: string | undefined): task is HumeCloudTask {
  return (HUME_CLOUD_TASKS as readonly string[]).includes(task ?? "");
}

export const humeAudioOptionsSchema = z
  .object({
    measurement_timer_ms: z.number().int().min(HUME_CLOUD_TIMER_MS.min).max(HUME_CLOUD_TIMER_MS.max).optional(),
  })
  .strict();
export type HumeAudioOptions = z.infer<typeof humeAudioOptionsSchema>;

export const humeImageOptionsSchema = z
  .object({
    face_threshold: z.number().min(0).max(1).optional(),
    face_min_size: z.number().int().min(1).optional(),
  })
  .strict();
export type HumeImageOptions = z.infer<typeof humeImageOptionsSchema>;

export function parseCloudOptions<T>(schema: z.ZodType<T>, options: Record<string, unknown>, accepted: string): T {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = ["options", ...issue.path.map(String)].join(".");
  const what = issue.code === "unrecognized_keys" ? `unknown option ${issue.keys.map((key) => `"${key}"`).join(", ")}` : issue.message.replace(/^Invalid input: /, "");
  throw new UserInputError(`Hume options are invalid — ${where}: ${what}. Accepted: ${accepted}`);
}

/** A score as we keep it: [name, probability]. */
export type CloudScore = [string, number];

export interface CloudMeasurement {
  trigger: string;
  startMs: number;
  endMs: number;
  expressions: CloudScore[];
  voiceAttributes: CloudScore[];
}

export interface CloudUtterance {
  startMs: number;
  endMs: number;
  measurements: CloudMeasurement[];
}

export interface CloudAudioAnswer {
  runId?: string;
  utterances: CloudUtterance[];
}

/** A required field was missing or mis-typed: which one, with its path. */
export class CloudShapeError extends Error {}

const scoreSchema = z.object({ name: z.string(), probability: z.number() });
const scoresSchema = z.array(z.unknown());
const msSchema = z.number().finite().min(0);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readMs(record: Json, keys: string[], where: string, required: boolean): number | undefined {
  for (const key of keys) {
    if (record[key] === undefined || record[key] === null) continue;
    const parsed = msSchema.safeParse(record[key]);
    if (!parsed.success) throw new CloudShapeError(`${where}.${key} is not a non-negative number`);
    return parsed.data;
  }
  if (required) throw new CloudShapeError(`${where}.${keys[0]} is missing`);
  return undefined;
}

/** Scores above the vendor's cut-off; entries of another shape are skipped, not fatal. */
function readScores(value: unknown, where: string, required: boolean): CloudScore[] {
  if (value === undefined || value === null) {
    if (required) throw new CloudShapeError(`${where} is missing`);
    return [];
  }
  const list = scoresSchema.safeParse(value);
  if (!list.success) throw new CloudShapeError(`${where} is not a list of {name, probability}`);
  const scores: CloudScore[] = [];
  for (const entry of list.data) {
    const score = scoreSchema.safeParse(entry);
    if (score.success && Number.isFinite(score.data.probability)) scores.push([score.data.name, score.data.probability]);
  }
  return scores;
}

function readMeasurement(value: unknown, where: string): CloudMeasurement {
  if (!isObject(value)) throw new CloudShapeError(`${where} is not an object`);
  const startMs = readMs(value, ["audio_start_ms"], where, true)!;
  const endMs = readMs(value, ["audio_end_ms"], where, true)!;
  return {
    trigger: typeof value.trigger === "string" ? value.trigger : "interval",
    startMs,
    endMs: Math.max(startMs, endMs),
    expressions: readScores(value.expressions, `${where}.expressions`, true),
    voiceAttributes: readScores(value.voice_attributes, `${where}.voice_attributes`, false),
  };
}

/** The object that holds `utterances`/`measurements`: the body, or a `result(s)` wrapper. */
function audioEnvelope(body: unknown): Json {
  if (!isObject(body)) throw new CloudShapeError("the response is not a JSON object");
  if ("utterances" in body || "measurements" in body) return body;
  for (const key of ["result", "results", "data"]) {
    const inner = body[key];
    if (isObject(inner) && ("utterances" in inner || "measurements" in inner)) return inner;
  }
  throw new CloudShapeError("the response has no utterances (nor measurements)");
}

/**
 * Reads an audio upload answer. Accepted: measurements inside each utterance
 * (`utterances[i].measurements`), or a top-level `measurements` list whose entries name their
 * utterance (`utterance_id`/`utterance_index`) or fall inside an utterance's span.
 */
export function readCloudAudioAnswer(body: unknown): CloudAudioAnswer {
  const envelope = audioEnvelope(body);
  const runId = typeof envelope.run_id === "string" ? envelope.run_id : isObject(body) && typeof body.run_id === "string" ? body.run_id : undefined;
  const rawUtterances = envelope.utterances ?? [];
  if (!Array.isArray(rawUtterances)) throw new CloudShapeError("utterances is not a list");
  const topLevel = envelope.measurements;
  if (topLevel !== undefined && topLevel !== null && !Array.isArray(topLevel)) throw new CloudShapeError("measurements is not a list");

  const utterances: Array<CloudUtterance & { id?: string | number; spanKnown: boolean }> = rawUtterances.map((raw, position) => {
    const where = `utterances[${position}]`;
    if (!isObject(raw)) throw new CloudShapeError(`${where} is not an object`);
    const nested = raw.measurements;
    if (nested !== undefined && nested !== null && !Array.isArray(nested)) throw new CloudShapeError(`${where}.measurements is not a list`);
    const measurements = (nested ?? []).map((entry, index) => readMeasurement(entry, `${where}.measurements[${index}]`));
    const startMs = readMs(raw, ["audio_start_ms", "start_ms"], where, false);
    const endMs = readMs(raw, ["audio_end_ms", "end_ms"], where, false);
    const id = typeof raw.utterance_id === "string" || typeof raw.utterance_id === "number" ? raw.utterance_id : typeof raw.id === "string" || typeof raw.id === "number" ? raw.id : undefined;
    return { startMs: startMs ?? 0, endMs: endMs ?? 0, measurements, id, spanKnown: startMs !== undefined && endMs !== undefined };
  });

  for (const [index, raw] of (topLevel ?? []).entries()) {
    const measurement = readMeasurement(raw, `measurements[${index}]`);
    const record = raw as Json;
    const reference = record.utterance_id ?? record.utterance_index ?? record.utterance;
    let owner =
      typeof reference === "number" && reference >= 0 && reference < utterances.length && utterances.every((utterance) => utterance.id === undefined)
        ? utterances[reference]
        : reference !== undefined
          ? utterances.find((utterance) => utterance.id !== undefined && String(utterance.id) === String(reference))
          : undefined;
    owner ??= utterances.find((utterance) => utterance.spanKnown && measurement.endMs > utterance.startMs && measurement.endMs <= utterance.endMs + 1);
    if (!owner) {
      // A measurement we cannot place still counts: it becomes an utterance of its own span.
      owner = { startMs: measurement.startMs, endMs: measurement.endMs, measurements: [], spanKnown: true };
      utterances.push(owner);
    }
    owner.measurements.push(measurement);
  }

  const result: CloudUtterance[] = utterances.map(({ startMs, endMs, measurements, spanKnown }) => {
    if (spanKnown || measurements.length === 0) return { startMs, endMs: Math.max(startMs, endMs), measurements };
    return {
      startMs: Math.min(...measurements.map((measurement) => measurement.startMs)),
      endMs: Math.max(...measurements.map((measurement) => measurement.endMs)),
      measurements,
    };
  });
  result.sort((a, b) => a.startMs - b.startMs);
  for (const utterance of result) utterance.measurements.sort((a, b) => a.endMs - b.endMs || a.startMs - b.startMs);
  return { ...(runId ? { runId } : {}), utterances: result };
}

export interface CloudFace {
  faceId: string | null;
  /** x, y, width, height in pixels, when the vendor gave a box we can read. */
  box: [number, number, number, number] | null;
  confidence: number | null;
  /** Null when the face was detected but not measured (beyond the largest faces). */
  expressions: CloudScore[] | null;
  descriptions: CloudScore[] | null;
}

export interface CloudImageAnswer {
  runId?: string;
  images: Array<{ faces: CloudFace[] }>;
}

function readBox(face: Json): [number, number, number, number] | null {
  const raw = face.bounding_box ?? face.bbox ?? face.box;
  const numbers = (values: unknown[]) => (values.every((value) => typeof value === "number" && Number.isFinite(value)) ? (values as number[]) : undefined);
  if (Array.isArray(raw) && raw.length === 4) {
    const values = numbers(raw);
    return values ? [values[0]!, values[1]!, values[2]!, values[3]!] : null;
  }
  if (!isObject(raw)) return null;
  const x = raw.x ?? raw.left ?? raw.x1;
  const y = raw.y ?? raw.top ?? raw.y1;
  let width = raw.width ?? raw.w;
  let height = raw.height ?? raw.h;
  if (width === undefined && typeof raw.x2 === "number" && typeof x === "number") width = raw.x2 - x;
  if (height === undefined && typeof raw.y2 === "number" && typeof y === "number") height = raw.y2 - y;
  const values = numbers([x, y, width, height]);
  return values ? [values[0]!, values[1]!, values[2]!, values[3]!] : null;
}

function readFace(value: unknown, where: string): CloudFace {
  if (!isObject(value)) throw new CloudShapeError(`${where} is not an object`);
  const confidence = [value.confidence, value.detection_confidence, value.face_confidence, value.prob, value.score].find(
    (candidate): candidate is number => typeof candidate === "number" && Number.isFinite(candidate),
  );
  const faceId = typeof value.face_id === "number" || typeof value.face_id === "string" ? String(value.face_id) : null;
  const measured = value.expressions !== null && value.expressions !== undefined;
  return {
    faceId,
    box: readBox(value),
    confidence: confidence ?? null,
    expressions: measured ? readScores(value.expressions, `${where}.expressions`, true) : null,
    descriptions: value.descriptions === null || value.descriptions === undefined ? (measured ? [] : null) : readScores(value.descriptions, `${where}.descriptions`, false),
  };
}

/** Reads an image upload answer: one result per image, in the order the parts were sent. */
export function readCloudImageAnswer(body: unknown, expectedImages: number): CloudImageAnswer {
  let list: unknown;
  let runId: string | undefined;
  if (Array.isArray(body)) list = body;
  else if (isObject(body)) {
    runId = typeof body.run_id === "string" ? body.run_id : undefined;
    list = body.results ?? body.images ?? body.frames ?? body.predictions;
    if (list === undefined && Array.isArray(body.faces) && expectedImages === 1) list = [body];
  } else throw new CloudShapeError("the response is not a JSON object");
  if (!Array.isArray(list)) throw new CloudShapeError("the response has no results (one per image)");
  if (list.length !== expectedImages) throw new CloudShapeError(`results has ${list.length} entries for ${expectedImages} images`);
  const images = list.map((entry, position) => {
    const where = `results[${position}]`;
    if (!isObject(entry)) throw new CloudShapeError(`${where} is not an object`);
    const faces = entry.faces ?? [];
    if (!Array.isArray(faces)) throw new CloudShapeError(`${where}.faces is not a list`);
    return { faces: faces.map((face, index) => readFace(face, `${where}.faces[${index}]`)) };
  });
  return { ...(runId ? { runId } : {}), images };
}

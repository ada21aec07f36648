// The compact index of a Hume prediction payload, built in one pass over the parsed JSON.
// Scores become row-major Float32 matrices and times Float64 arrays, stored as base64 strings
// inside the JSON index, so every later get_predictions call reads a few MB of base64 instead
// of re-parsing tens of MB of {name, score} objects.

import { ProviderError } from "../../errors.js";
import { humePredictionsEnvelopeSchema, type HumeModelName, type HumeSource } from "./hume-api.js";

export const HUME_INDEX_VERSION = 1;

/** Longest vendor text kept per utterance/word; the condensers shorten it further for display. */
const MAX_STORED_TEXT = 600;

export interface EncodedMatrix {
  /** Column names in order (emotion, FACS unit, description, sentiment level, toxicity kind). */
  names: string[];
  rows: number;
  /** base64 of a row-major Float32Array of rows × names.length; NaN where a row lacked a name. */
  data: string;
}

export interface FaceGroupIndex {
  id: string;
  count: number;
  /** base64 Float64Array of frame times in seconds. */
  time: string;
  emotions: EncodedMatrix;
  facs?: EncodedMatrix;
  descriptions?: EncodedMatrix;
}

/** Prosody and burst groups: time segments. */
export interface SegmentGroupIndex {
  id: string;
  count: number;
  /** base64 Float64Arrays of segment begin/end times in seconds. */
  begin: string;
  end: string;
  /** Prosody transcript per segment ("" when none). */
  texts?: string[];
  emotions: EncodedMatrix;
  descriptions?: EncodedMatrix;
}

export interface LanguageGroupIndex {
  id: string;
  count: number;
  /** base64 Float64Arrays; times are NaN for text inputs (they have positions only). */
  begin: string;
  end: string;
  /** base64 Float64Array of character offsets where each unit begins. */
  position: string;
  texts: string[];
  emotions: EncodedMatrix;
  sentiment?: EncodedMatrix;
  toxicity?: EncodedMatrix;
}

export interface NerMention {
  group: string;
  entity: string;
  uri?: string;
  /** Seconds, when the input had times. */
  begin?: number;
  position: number;
  confidence?: number;
}

export interface FacemeshGroupIndex {
  id: string;
  count: number;
  emotions: EncodedMatrix;
}

export interface HumeFileModels {
  face?: FaceGroupIndex[];
  prosody?: SegmentGroupIndex[];
  burst?: SegmentGroupIndex[];
  language?: LanguageGroupIndex[];
  ner?: NerMention[];
  facemesh?: FacemeshGroupIndex[];
}

export interface HumeFileIndex {
  /** What the file is called in answers: the predicted file name, else the source. */
  label: string;
  /** The source it came from: "url https://…", "file name.mp4", "text 2". */
  source: string;
  models: HumeFileModels;
  /** Per-file failure as Hume reported it (sanitized, short). */
  error?: string;
  /** Transcription language Hume detected, when it said. */
  detectedLanguage?: string;
}

export interface HumeIndex {
  version: typeof HUME_INDEX_VERSION;
  files: HumeFileIndex[];
  /** Face frame step (1/fps_pred) when the job asked for one; else estimated per group. */
  frameStepS?: number;
  /** The language granularity the job asked for (word, sentence, utterance, conversational_turn). */
  languageGranularity?: string;
  notes: string[];
  predictionCount: number;
}

// ---------- building ----------

/** Grows a row-major Float32 matrix one row at a time; new column names relayout (rare). */
class MatrixBuilder {
  names: string[] = [];
  private readonly columns = new Map<string, number>();
  private data = new Float32Array(0);
  rows = 0;

  constructor(private capacityRows: number) {}

  addRow(scores: unknown): void {
    if (this.names.length === 0 && Array.isArray(scores)) {
      for (const entry of scores) {
        const name = (entry as { name?: unknown } | null)?.name;
        if (typeof name === "string" && !this.columns.has(name)) {
          this.columns.set(name, this.names.length);
          this.names.push(name);
        }
      }
      this.data = new Float32Array(Math.max(1, this.capacityRows, this.rows + 1) * Math.max(1, this.names.length));
      // Rows before the first one with scores had none: they stay NaN, not 0.
      this.data.fill(Number.NaN, 0, this.rows * this.names.length);
    }
    const width = this.names.length;
    this.ensureRows(this.rows + 1);
    let base = this.rows * width;
    this.data.fill(Number.NaN, base, base + width);
    if (Array.isArray(scores)) {
      for (let index = 0; index < scores.length; index++) {
        const entry = scores[index] as { name?: unknown; score?: unknown } | null;
        if (entry === null || typeof entry !== "object") continue;
        const { name, score } = entry;
        if (typeof name !== "string" || typeof score !== "number") continue;
        // Hume lists names in the same order in every row, so the position usually matches.
        let column = this.names[index] === name ? index : this.columns.get(name);
        if (column === undefined) {
          column = this.addColumn(name);
          base = this.rows * this.names.length;
        }
        this.data[base + column] = score;
      }
    }
    this.rows++;
  }

  encode(): EncodedMatrix {
    const used = this.data.subarray(0, this.rows * this.names.length);
    return { names: this.names, rows: this.rows, data: encodeTyped(used) };
  }

  private ensureRows(rows: number): void {
    const width = Math.max(1, this.names.length);
    if (rows * width <= this.data.length) return;
    this.capacityRows = Math.max(rows, this.capacityRows * 2);
    const grown = new Float32Array(this.capacityRows * width);
    grown.set(this.data);
    this.data = grown;
  }

  private addColumn(name: string): number {
    const oldWidth = this.names.length;
    const newWidth = oldWidth + 1;
    const grown = new Float32Array(Math.max(this.capacityRows, this.rows + 1) * newWidth);
    for (let row = 0; row <= this.rows; row++) {
      grown.set(this.data.subarray(row * oldWidth, row * oldWidth + oldWidth), row * newWidth);
      grown[row * newWidth + oldWidth] = Number.NaN;
    }
    this.data = grown;
    this.columns.set(name, oldWidth);
    this.names.push(name);
    return oldWidth;
  }
}

function encodeTyped(array: Float32Array | Float64Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString("base64");
}

function finiteOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function textOf(value: unknown): string {
  return typeof value === "string" ? value.slice(0, MAX_STORED_TEXT) : "";
}

interface RawGroup {
  id: string;
  predictions: unknown[];
}

/** `grouped_predictions` of one model block, tolerating missing or odd fields. */
function groupsOf(block: unknown): RawGroup[] {
  const grouped = (block as { grouped_predictions?: unknown } | null)?.grouped_predictions;
  if (!Array.isArray(grouped)) return [];
  const groups: RawGroup[] = [];
  for (const group of grouped) {
    const predictions = (group as { predictions?: unknown } | null)?.predictions;
    if (!Array.isArray(predictions)) continue;
    const id = (group as { id?: unknown }).id;
    groups.push({ id: typeof id === "string" && id ? id.slice(0, 100) : "unknown", predictions });
  }
  return groups;
}

type Row = Record<string, unknown>;
const asRow = (value: unknown): Row => (value !== null && typeof value === "object" ? (value as Row) : {});

function hasArray(predictions: unknown[], key: string): boolean {
  return predictions.some((prediction) => Array.isArray(asRow(prediction)[key]));
}

function indexFace(block: unknown): FaceGroupIndex[] {
  return groupsOf(block).map(({ id, predictions }) => {
    const count = predictions.length;
    const time = new Float64Array(count);
    const emotions = new MatrixBuilder(count);
    const facs = hasArray(predictions, "facs") ? new MatrixBuilder(count) : undefined;
    const descriptions = hasArray(predictions, "descriptions") ? new MatrixBuilder(count) : undefined;
    predictions.forEach((prediction, row) => {
      const fields = asRow(prediction);
      time[row] = finiteOr(fields.time, Number.NaN);
      emotions.addRow(fields.emotions);
      facs?.addRow(fields.facs);
      descriptions?.addRow(fields.descriptions);
    });
    return {
      id,
      count,
      time: encodeTyped(time),
      emotions: emotions.encode(),
      ...(facs ? { facs: facs.encode() } : {}),
      ...(descriptions ? { descriptions: descriptions.encode() } : {}),
    };
  });
}

function indexSegments(block: unknown, withTexts: boolean): SegmentGroupIndex[] {
  return groupsOf(block).map(({ id, predictions }) => {
    const count = predictions.length;
    const begin = new Float64Array(count);
    const end = new Float64Array(count);
    const texts: string[] = [];
    const emotions = new MatrixBuilder(count);
    const descriptions = hasArray(predictions, "descriptions") ? new MatrixBuilder(count) : undefined;
    predictions.forEach((prediction, row) => {
      const fields = asRow(prediction);
      const time = asRow(fields.time);
      begin[row] = finiteOr(time.begin, Number.NaN);
      end[row] = finiteOr(time.end, begin[row]!);
      if (withTexts) texts.push(textOf(fields.text));
      emotions.addRow(fields.emotions);
      descriptions?.addRow(fields.descriptions);
    });
    return {
      id,
      count,
      begin: encodeTyped(begin),
      end: encodeTyped(end),
      ...(withTexts && texts.some(Boolean) ? { texts } : {}),
      emotions: emotions.encode(),
      ...(descriptions ? { descriptions: descriptions.encode() } : {}),
    };
  });
}

function indexLanguage(block: unknown): LanguageGroupIndex[] {
  return groupsOf(block).map(({ id, predictions }) => {
    const count = predictions.length;
    const begin = new Float64Array(count);
    const end = new Float64Array(count);
    const position = new Float64Array(count);
    const texts: string[] = new Array<string>(count);
    const emotions = new MatrixBuilder(count);
    const sentiment = hasArray(predictions, "sentiment") ? new MatrixBuilder(count) : undefined;
    const toxicity = hasArray(predictions, "toxicity") ? new MatrixBuilder(count) : undefined;
    predictions.forEach((prediction, row) => {
      const fields = asRow(prediction);
      const time = asRow(fields.time);
      begin[row] = finiteOr(time.begin, Number.NaN);
      end[row] = finiteOr(time.end, begin[row]!);
      position[row] = finiteOr(asRow(fields.position).begin, Number.NaN);
      texts[row] = textOf(fields.text);
      emotions.addRow(fields.emotions);
      sentiment?.addRow(fields.sentiment);
      toxicity?.addRow(fields.toxicity);
    });
    return {
      id,
      count,
      begin: encodeTyped(begin),
      end: encodeTyped(end),
      position: encodeTyped(position),
      texts,
      emotions: emotions.encode(),
      ...(sentiment ? { sentiment: sentiment.encode() } : {}),
      ...(toxicity ? { toxicity: toxicity.encode() } : {}),
    };
  });
}

function indexNer(block: unknown): NerMention[] {
  const mentions: NerMention[] = [];
  for (const { id, predictions } of groupsOf(block)) {
    for (const prediction of predictions) {
      const fields = asRow(prediction);
      const entity = textOf(fields.entity).slice(0, 120);
      if (!entity) continue;
      const begin = asRow(fields.time).begin;
      mentions.push({
        group: id,
        entity,
        ...(typeof fields.uri === "string" && fields.uri ? { uri: fields.uri.slice(0, 200) } : {}),
        ...(typeof begin === "number" && Number.isFinite(begin) ? { begin } : {}),
        position: finiteOr(asRow(fields.position).begin, 0),
        ...(typeof fields.entity_confidence === "number" ? { confidence: fields.entity_confidence } : {}),
      });
    }
  }
  return mentions;
}

function indexFacemesh(block: unknown): FacemeshGroupIndex[] {
  return groupsOf(block).map(({ id, predictions }) => {
    const emotions = new MatrixBuilder(predictions.length);
    for (const prediction of predictions) emotions.addRow(asRow(prediction).emotions);
    return { id, count: predictions.length, emotions: emotions.encode() };
  });
}

function describeSource(source: HumeSource | null | undefined, textOrdinal: number): string {
  switch (source?.type) {
    case "url":
      return `url ${source.url ?? "?"}`;
    case "file":
      return `file ${source.filename ?? source.md5sum ?? "?"}`;
    case "text":
      return `text ${textOrdinal}`;
    default:
      return source?.url ?? source?.filename ?? "unknown source";
  }
}

function shortError(message: string | null | undefined): string {
  const oneLine = (message ?? "unknown error").replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return oneLine.length > 300 ? oneLine.slice(0, 299) + "…" : oneLine;
}

function countPredictions(models: HumeFileModels): number {
  let total = 0;
  for (const groups of [models.face, models.prosody, models.burst, models.language, models.facemesh]) {
    for (const group of groups ?? []) total += group.count;
  }
  return total + (models.ner?.length ?? 0);
}

/**
 * One pass over the parsed predictions payload. Throws ProviderError when the envelope is not
 * the documented shape; tolerates odd fields inside model blocks (they become NaN / empty).
 */
export function buildHumeIndex(payload: unknown, options: { frameStepS?: number; languageGranularity?: string } = {}): HumeIndex {
  const parsed = humePredictionsEnvelopeSchema.safeParse(payload);
  if (!parsed.success) {
    throw new ProviderError("Hume returned predictions in an unexpected shape (not a list of {source, results})", {
      provider: "hume",
      retryable: false,
    });
  }
  const files: HumeFileIndex[] = [];
  let textOrdinal = 0;
  let predictionCount = 0;
  const rawEntries = payload as Array<{ results?: { predictions?: Array<{ models?: Record<string, unknown> }> } }>;
  parsed.data.forEach((entry, entryIndex) => {
    if (entry.source?.type === "text") textOrdinal++;
    const source = describeSource(entry.source, textOrdinal);
    const sourceLabel = entry.source?.type === "text" ? `text ${textOrdinal}` : source.replace(/^(url|file) /, "");
    if (entry.error) files.push({ label: sourceLabel, source, models: {}, error: shortError(entry.error) });
    const predictions = entry.results?.predictions ?? [];
    predictions.forEach((prediction, predictionIndex) => {
      // zod copied the envelope; the model blocks are read from the original objects.
      const blocks = rawEntries[entryIndex]?.results?.predictions?.[predictionIndex]?.models ?? {};
      const models: HumeFileModels = {};
      if (blocks.face) models.face = indexFace(blocks.face);
      if (blocks.prosody) models.prosody = indexSegments(blocks.prosody, true);
      if (blocks.burst) models.burst = indexSegments(blocks.burst, false);
      if (blocks.language) models.language = indexLanguage(blocks.language);
      if (blocks.ner) models.ner = indexNer(blocks.ner);
      if (blocks.facemesh) models.facemesh = indexFacemesh(blocks.facemesh);
      const detected = [blocks.prosody, blocks.language, blocks.ner]
        .map((block) => asRow(asRow(block).metadata).detected_language)
        .find((value): value is string => typeof value === "string");
      const label =
        entry.source?.type === "text"
          ? `text ${textOrdinal}`
          : prediction.file && predictions.length > 1
            ? `${sourceLabel} › ${prediction.file}`
            : (prediction.file ?? sourceLabel);
      predictionCount += countPredictions(models);
      files.push({ label, source, models, ...(detected ? { detectedLanguage: detected.slice(0, 20) } : {}) });
    });
    for (const error of entry.results?.errors ?? []) {
      files.push({
        label: error.file || sourceLabel,
        source,
        models: {},
        error: shortError(error.message),
      });
    }
  });
  return {
    version: HUME_INDEX_VERSION,
    files,
    ...(options.frameStepS ? { frameStepS: options.frameStepS } : {}),
    ...(options.languageGranularity ? { languageGranularity: options.languageGranularity } : {}),
    notes: [],
    predictionCount,
  };
}

export function presentModels(models: HumeFileModels): HumeModelName[] {
  return (Object.keys(models) as HumeModelName[]).filter((name) => {
    const value = models[name];
    return Array.isArray(value) && value.length > 0;
  });
}

// ---------- reading ----------

export function decodeFloat32(base64: string): Float32Array {
  const bytes = Buffer.from(base64, "base64");
  // Typed-array views need aligned offsets; small Buffers come from a shared pool.
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(new Uint8Array(bytes).buffer);
}

export function decodeFloat64(base64: string): Float64Array {
  const bytes = Buffer.from(base64, "base64");
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  return new Float64Array(new Uint8Array(bytes).buffer);
}

export interface ScoreMatrix {
  names: string[];
  rows: number;
  width: number;
  data: Float32Array;
}

export function decodeMatrix(matrix: EncodedMatrix): ScoreMatrix {
  return { names: matrix.names, rows: matrix.rows, width: matrix.names.length, data: decodeFloat32(matrix.data) };
}

/** Checks that a stored index is one this code can read. */
export function asHumeIndex(value: unknown): HumeIndex {
  const index = value as Partial<HumeIndex> | null;
  if (!index || index.version !== HUME_INDEX_VERSION || !Array.isArray(index.files)) {
    throw new ProviderError("the stored Hume result index is missing or from another version; fetch the results again", {
      provider: "hume",
      retryable: false,
    });
  }
  return index as HumeIndex;
}

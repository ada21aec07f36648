// Stored answers of the current API → one merged result (absolute times) and a compact index
// the condensers read on every get_predictions call. Names are kept once in a table; a
// measurement keeps [name index, probability] pairs, only for names above Hume's cut-off.

import { MediaJobsError } from "../../errors.js";
import { HUME_CLOUD_SAMPLE_RATE, readCloudAudioAnswer, readCloudImageAnswer, type CloudScore } from "./hume-cloud-api.js";

/** One answered audio piece, as stored while the job runs. */
export interface StoredAudioChunk {
  index: number;
  /** Samples at 16 kHz: the piece is [start, end) of the whole recording. */
  start: number;
  end: number;
  response: unknown;
}

export interface StoredImageBatch {
  first: number;
  count: number;
  response: unknown;
}

export type IndexedScore = [number, number];

export interface CloudAudioMeasurementIndex {
  startS: number;
  endS: number;
  trigger: string;
  e: IndexedScore[];
  v: IndexedScore[];
}

export interface CloudAudioIndex {
  kind: "hume-cloud-audio";
  name: string;
  durationS: number;
  timerMs: number;
  chunks: Array<{ startS: number; endS: number; runId?: string }>;
  expressionNames: string[];
  voiceNames: string[];
  utterances: Array<{ startS: number; endS: number; measurements: CloudAudioMeasurementIndex[] }>;
  measurementCount: number;
}

class NameTable {
  readonly names: string[] = [];
  private readonly positions = new Map<string, number>();
  add(scores: CloudScore[]): IndexedScore[] {
    return scores.map(([name, probability]) => {
      let position = this.positions.get(name);
      if (position === undefined) {
        position = this.names.length;
        this.names.push(name);
        this.positions.set(name, position);
      }
      return [position, probability];
    });
  }
}

/** Seconds of a piece's own milliseconds, placed at the piece's first sample. */
function absoluteSeconds(startSample: number, ms: number): number {
  return startSample / HUME_CLOUD_SAMPLE_RATE + ms / 1000;
}

export function buildAudioIndex(
  name: string,
  plan: { totalSamples: number; timerMs: number },
  chunks: StoredAudioChunk[],
): { index: CloudAudioIndex; merged: unknown } {
  const expressions = new NameTable();
  const voice = new NameTable();
  const utterances: CloudAudioIndex["utterances"] = [];
  const merged: Array<Record<string, unknown>> = [];
  const pieces: CloudAudioIndex["chunks"] = [];
  let measurementCount = 0;
  const ordered = [...chunks].sort((a, b) => a.start - b.start);
  for (const chunk of ordered) {
    const answer = readCloudAudioAnswer(chunk.response);
    const limitS = chunk.end / HUME_CLOUD_SAMPLE_RATE;
    pieces.push({ startS: chunk.start / HUME_CLOUD_SAMPLE_RATE, endS: limitS, ...(answer.runId ? { runId: answer.runId } : {}) });
    for (const utterance of answer.utterances) {
      const measurements = utterance.measurements.map((measurement) => ({
        startS: absoluteSeconds(chunk.start, measurement.startMs),
        endS: absoluteSeconds(chunk.start, measurement.endMs),
        trigger: measurement.trigger,
        e: expressions.add(measurement.expressions),
        v: voice.add(measurement.voiceAttributes),
      }));
      measurementCount += measurements.length;
      const startS = absoluteSeconds(chunk.start, utterance.startMs);
      const endS = absoluteSeconds(chunk.start, utterance.endMs);
      utterances.push({ startS, endS, measurements });
      merged.push({
        audio_start_s: startS,
        audio_end_s: endS,
        request: pieces.length,
        measurements: utterance.measurements.map((measurement) => ({
          trigger: measurement.trigger,
          audio_start_s: absoluteSeconds(chunk.start, measurement.startMs),
          audio_end_s: absoluteSeconds(chunk.start, measurement.endMs),
          expressions: measurement.expressions.map(([scoreName, probability]) => ({ name: scoreName, probability })),
          voice_attributes: measurement.voiceAttributes.map(([scoreName, probability]) => ({ name: scoreName, probability })),
        })),
      });
    }
  }
  const index: CloudAudioIndex = {
    kind: "hume-cloud-audio",
    name,
    durationS: plan.totalSamples / HUME_CLOUD_SAMPLE_RATE,
    timerMs: plan.timerMs,
    chunks: pieces,
    expressionNames: expressions.names,
    voiceNames: voice.names,
    utterances,
    measurementCount,
  };
  return { index, merged: { name, duration_s: index.durationS, requests: pieces, utterances: merged } };
}

export interface CloudImageFaceIndex {
  faceId: string | null;
  box: [number, number, number, number] | null;
  confidence: number | null;
  /** Null when detected but not measured. */
  e: IndexedScore[] | null;
  d: IndexedScore[] | null;
}

export interface CloudImageIndex {
  kind: "hume-cloud-images";
  expressionNames: string[];
  descriptionNames: string[];
  images: Array<{ name: string; faces: CloudImageFaceIndex[] }>;
}

export function buildImageIndex(names: string[], batches: StoredImageBatch[]): { index: CloudImageIndex; merged: unknown } {
  const expressions = new NameTable();
  const descriptions = new NameTable();
  const images: CloudImageIndex["images"] = names.map((name) => ({ name, faces: [] }));
  const merged: Array<Record<string, unknown>> = names.map((name) => ({ name, faces: [] }));
  for (const batch of batches) {
    const answer = readCloudImageAnswer(batch.response, batch.count);
    answer.images.forEach((image, offset) => {
      const position = batch.first + offset;
      if (!images[position]) throw new MediaJobsError("provider_error", `stored answer names image ${position + 1} of ${names.length}`);
      images[position]!.faces = image.faces.map((face) => ({
        faceId: face.faceId,
        box: face.box,
        confidence: face.confidence,
        e: face.expressions ? expressions.add(face.expressions) : null,
        d: face.descriptions ? descriptions.add(face.descriptions) : null,
      }));
      merged[position]!.faces = image.faces;
    });
  }
  return { index: { kind: "hume-cloud-images", expressionNames: expressions.names, descriptionNames: descriptions.names, images }, merged: { images: merged } };
}

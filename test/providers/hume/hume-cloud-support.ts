// Shared by the current-API tests: speech-like signals, and what the merged result must be,
// computed from what the strict fake answered (its answers are the truth the merge must keep).

import fs from "node:fs";
import path from "node:path";
import { encodeWav } from "../../../src/providers/local/local-wav.js";
import type { AudioCall } from "../../fakes/hume-cloud-fake.js";

export const RATE = 16_000;

/** Tone bursts (frequency Hz, amplitude) with silent pauses between them, at 16 kHz. */
export function speechLike(seconds: number, bursts: Array<{ start: number; end: number; hz: number; amplitude: number }>): Float32Array {
  const signal = new Float32Array(Math.round(seconds * RATE));
  for (const burst of bursts) {
    for (let index = Math.round(burst.start * RATE); index < Math.min(signal.length, Math.round(burst.end * RATE)); index++) {
      const t = index / RATE;
      signal[index] = burst.amplitude * (0.65 + 0.35 * Math.sin(2 * Math.PI * 4 * t)) * Math.sin(2 * Math.PI * burst.hz * t);
    }
  }
  return signal;
}

export function writeWav(directory: string, name: string, signal: Float32Array): { path: string; name: string; bytes: number } {
  const file = path.join(directory, name);
  fs.writeFileSync(file, encodeWav([signal], RATE));
  return { path: file, name, bytes: fs.statSync(file).size };
}

export interface ExpectedMeasurement {
  startS: number;
  endS: number;
  trigger: string;
  expressions: Map<string, number>;
}

/** The fake's answers placed at their pieces' offsets: pieces are contiguous, in sending order. */
export function expectedMeasurements(answered: AudioCall[]): ExpectedMeasurement[] {
  const result: ExpectedMeasurement[] = [];
  let offset = 0;
  for (const call of answered) {
    for (const utterance of call.response!.utterances) {
      for (const measurement of utterance.measurements) {
        result.push({
          startS: offset / RATE + measurement.audio_start_ms / 1000,
          endS: offset / RATE + measurement.audio_end_ms / 1000,
          trigger: measurement.trigger,
          expressions: new Map(measurement.expressions.map((entry) => [entry.name, entry.probability])),
        });
      }
    }
    offset += call.samples.length;
  }
  return result;
}

/** Names ranked by mean probability over all measurements (absent = 0), ties by name. */
export function expectedTop(measurements: ExpectedMeasurement[], k: number): Array<{ name: string; mean: number }> {
  const sums = new Map<string, number>();
  for (const measurement of measurements) for (const [name, probability] of measurement.expressions) sums.set(name, (sums.get(name) ?? 0) + probability);
  return [...sums]
    .map(([name, sum]) => ({ name, mean: sum / measurements.length }))
    .sort((a, b) => b.mean - a.mean || a.name.localeCompare(b.name))
    .slice(0, k)
    .map((entry) => ({ name: entry.name, mean: Math.round(entry.mean * 10_000) / 10_000 }));
}

/** The samples the fake received, in order, as one signal (pieces joined end to end). */
export function joined(answered: AudioCall[]): Int16Array {
  const total = answered.reduce((sum, call) => sum + call.samples.length, 0);
  const all = new Int16Array(total);
  let offset = 0;
  for (const call of answered) {
    all.set(call.samples, offset);
    offset += call.samples.length;
  }
  return all;
}

// Test signals whose truth is known: tones, harmonic stacks of a given F0, seeded noise,
// silence, and patterns of them with exact boundaries.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { seededRandom } from "../../../src/bench/seeded-random.js";
import { encodeWav } from "../../../src/providers/local/local-wav.js";

export function sine(seconds: number, rate: number, hz: number, amplitude: number, phase = 0): Float32Array {
  const samples = new Float32Array(Math.round(seconds * rate));
  for (let index = 0; index < samples.length; index++) samples[index] = amplitude * Math.sin((2 * Math.PI * hz * index) / rate + phase);
  return samples;
}

/** Harmonics of `f0` up to 4 kHz with 1/k amplitudes, normalized to `peak`; optional 4 Hz-style AM. */
export function harmonicStack(seconds: number, rate: number, f0: number, peak: number, options: { amHz?: number; amDepth?: number } = {}): Float32Array {
  const samples = new Float32Array(Math.round(seconds * rate));
  const harmonics = Math.max(1, Math.floor(Math.min(4_000, rate / 2 - 100) / f0));
  let max = 0;
  for (let index = 0; index < samples.length; index++) {
    const time = index / rate;
    let value = 0;
    for (let k = 1; k <= harmonics; k++) value += Math.sin(2 * Math.PI * k * f0 * time) / k;
    if (options.amHz) value *= 1 - (options.amDepth ?? 0.9) * (0.5 + 0.5 * Math.cos(2 * Math.PI * options.amHz * time));
    samples[index] = value;
    max = Math.max(max, Math.abs(value));
  }
  for (let index = 0; index < samples.length; index++) samples[index]! *= peak / max;
  return samples;
}

export function noise(seconds: number, rate: number, amplitude: number, seed = 1): Float32Array {
  const random = seededRandom(seed);
  const samples = new Float32Array(Math.round(seconds * rate));
  // Uniform in [-1, 1): the same seed gives the same noise on every run.
  for (let index = 0; index < samples.length; index++) samples[index] = amplitude * (random() * 2 - 1);
  return samples;
}

export function silence(seconds: number, rate: number): Float32Array {
  return new Float32Array(Math.round(seconds * rate));
}

export function concat(...parts: Float32Array[]): Float32Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const result = new Float32Array(total);
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/** Adds `b` into `a` (same length or shorter), returning `a`. */
export function mixInto(a: Float32Array, b: Float32Array): Float32Array {
  for (let index = 0; index < Math.min(a.length, b.length); index++) a[index]! += b[index]!;
  return a;
}

export function tempDir(prefix = "mjm-local-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeWav(directory: string, name: string, channels: Float32Array[], rate: number, encoding?: Parameters<typeof encodeWav>[2]): string {
  const file = path.join(directory, name);
  fs.writeFileSync(file, encodeWav(channels, rate, encoding));
  return file;
}

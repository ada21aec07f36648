// F0 by YIN (de Cheveigné & Kawahara 2002): difference function, cumulative-mean
// normalization, absolute threshold, parabolic interpolation. Run only inside speech, on
// the signal decimated to 8 kHz, at a 10 ms hop: the costly part stays small.

import { kaiser, sinc } from "./local-resample.js";

export const PITCH_RATE = 8_000;
const PITCH_HOP = 80;
const PITCH_WINDOW = 200;
/** de Cheveigné & Kawahara use 0.10–0.15; speech recordings are rarely clean. */
const YIN_THRESHOLD = 0.15;

export interface PitchTrack {
  /** Frame centre times, seconds. */
  times: Float64Array;
  /** F0 in Hz, 0 where unvoiced. */
  f0: Float32Array;
}

export interface PitchOptions {
  minHz: number;
  maxHz: number;
}

const DECIMATION_TAPS = (() => {
  const length = 31;
  const center = (length - 1) / 2;
  const cutoff = 3_500 / 16_000;
  const taps = new Float32Array(length);
  let sum = 0;
  for (let index = 0; index < length; index++) {
    taps[index] = 2 * cutoff * sinc(2 * cutoff * (index - center)) * kaiser((index - center) / (center + 1), 6);
    sum += taps[index]!;
  }
  for (let index = 0; index < length; index++) taps[index]! /= sum;
  return taps;
})();

/** 16 kHz → 8 kHz for [from, to) of `signal`, low-passed first. */
function decimateByTwo(signal: Float32Array, from: number, to: number): Float32Array {
  const half = (DECIMATION_TAPS.length - 1) / 2;
  const output = new Float32Array(Math.max(0, Math.floor((to - from) / 2)));
  for (let out = 0; out < output.length; out++) {
    const center = from + out * 2;
    let sum = 0;
    for (let tap = 0; tap < DECIMATION_TAPS.length; tap++) {
      const index = center + tap - half;
      if (index >= 0 && index < signal.length) sum += DECIMATION_TAPS[tap]! * signal[index]!;
    }
    output[out] = sum;
  }
  return output;
}

/**
 * F0 of one analysis window starting at `start` of an 8 kHz signal, or 0 when unvoiced.
 * `difference` is scratch space of at least maxLag + 1.
 */
export function yinFrame(signal: Float32Array, start: number, minLag: number, maxLag: number, difference: Float64Array): number {
  difference[0] = 1;
  let runningSum = 0;
  let found = -1;
  for (let lag = 1; lag <= maxLag; lag++) {
    let sum = 0;
    const shifted = start + lag;
    for (let index = 0; index < PITCH_WINDOW; index++) {
      const delta = signal[start + index]! - signal[shifted + index]!;
      sum += delta * delta;
    }
    runningSum += sum;
    difference[lag] = runningSum > 0 ? (sum * lag) / runningSum : 1;
  }
  for (let lag = minLag; lag <= maxLag; lag++) {
    if (difference[lag]! < YIN_THRESHOLD) {
      while (lag + 1 <= maxLag && difference[lag + 1]! < difference[lag]!) lag++;
      found = lag;
      break;
    }
  }
  if (found < 0) return 0;
  // Parabolic interpolation around the dip for sub-sample lag accuracy.
  let lag = found;
  if (found > 1 && found < maxLag) {
    const left = difference[found - 1]!;
    const middle = difference[found]!;
    const right = difference[found + 1]!;
    const denominator = left - 2 * middle + right;
    if (denominator > 0) lag = found + (0.5 * (left - right)) / denominator;
  }
  return PITCH_RATE / lag;
}

/** Pitch track over the given 16 kHz stretches (speech segments), frame by frame. */
export function trackPitch(signal16k: Float32Array, segments: Array<{ start: number; end: number }>, options: PitchOptions): PitchTrack {
  const minLag = Math.max(2, Math.floor(PITCH_RATE / options.maxHz));
  const maxLag = Math.ceil(PITCH_RATE / options.minHz);
  const difference = new Float64Array(maxLag + 2);
  const times: number[] = [];
  const f0: number[] = [];
  for (const segment of segments) {
    const from = Math.max(0, Math.floor(segment.start * 16_000));
    const to = Math.min(signal16k.length, Math.ceil(segment.end * 16_000) + 2 * (PITCH_WINDOW + maxLag));
    const decimated = decimateByTwo(signal16k, from, to);
    const segmentSamples = Math.round((segment.end - segment.start) * PITCH_RATE);
    for (let start = 0; start + PITCH_WINDOW + maxLag <= decimated.length && start <= segmentSamples; start += PITCH_HOP) {
      const centre = from / 16_000 + (start + (PITCH_WINDOW + maxLag) / 2) / PITCH_RATE;
      if (centre > segment.end) break;
      times.push(centre);
      f0.push(yinFrame(decimated, start, minLag, maxLag, difference));
    }
  }
  return { times: Float64Array.from(times), f0: Float32Array.from(medianOfThree(f0)) };
}

/** Removes single-frame octave jumps and voicing blips. */
function medianOfThree(values: number[]): number[] {
  return values.map((value, index) => {
    const previous = values[index - 1];
    const next = values[index + 1];
    if (previous === undefined || next === undefined) return value;
    return [previous, value, next].sort((a, b) => a - b)[1]!;
  });
}

export interface PitchStats {
  medianHz: number | null;
  p10Hz: number | null;
  p90Hz: number | null;
  /** Standard deviation in semitones around the median. */
  semitoneStd: number | null;
  voicedRatio: number;
  voicedFrames: number;
}

export function pitchStats(track: PitchTrack, from = 0, to = Number.POSITIVE_INFINITY): PitchStats {
  const voiced: number[] = [];
  let frames = 0;
  for (let index = 0; index < track.times.length; index++) {
    const time = track.times[index]!;
    if (time < from || time > to) continue;
    frames++;
    if (track.f0[index]! > 0) voiced.push(track.f0[index]!);
  }
  if (voiced.length === 0) return { medianHz: null, p10Hz: null, p90Hz: null, semitoneStd: null, voicedRatio: 0, voicedFrames: 0 };
  voiced.sort((a, b) => a - b);
  const at = (fraction: number) => voiced[Math.min(voiced.length - 1, Math.round((voiced.length - 1) * fraction))]!;
  const median = at(0.5);
  const semitones = voiced.map((hz) => 12 * Math.log2(hz / median));
  const mean = semitones.reduce((sum, value) => sum + value, 0) / semitones.length;
  const variance = semitones.reduce((sum, value) => sum + (value - mean) ** 2, 0) / semitones.length;
  return {
    medianHz: median,
    p10Hz: at(0.1),
    p90Hz: at(0.9),
    semitoneStd: Math.sqrt(variance),
    voicedRatio: frames > 0 ? voiced.length / frames : 0,
    voicedFrames: voiced.length,
  };
}

// Voice activity on the 16 kHz mono signal: per-frame energy plus spectral features
// (flatness and speech-band energy ratio over a 32 ms Hann-windowed FFT, 10 ms hop), an
// adaptive noise floor (sliding minimum), dual thresholds with hangover, and pause bridging.

import { Fft } from "./local-fft.js";

export const FRAME_SIZE = 512;
export const HOP_SIZE = 160;

export interface FrameFeatures {
  sampleRate: number;
  hopSeconds: number;
  count: number;
  /** Frame energy, dBFS (a full-scale sine reads −3 dB). */
  energyDb: Float32Array;
  /** Spectral flatness over 300–4000 Hz (0 tonal … 1 white noise). */
  flatness: Float32Array;
  /** Share of energy in 80–4000 Hz: low for rumble and hum, and for hiss. */
  bandRatio: Float32Array;
  /** Energy in 300–3000 Hz, dB: the intensity contour for syllable nuclei. */
  bandDb: Float32Array;
}

export interface SpeechSegment {
  start: number;
  end: number;
}

export interface VadOptions {
  /** 0 (only clear speech) … 1 (anything voice-like); 0.5 default. */
  sensitivity: number;
  /** Gaps shorter than this are bridged; longer ones are pauses. */
  minPauseSeconds: number;
  /** Shorter bursts are dropped. */
  minSpeechSeconds: number;
}

/** Seconds the centre of frame `index` sits at. */
export function frameTime(index: number, sampleRate: number): number {
  return (index * HOP_SIZE + FRAME_SIZE / 2) / sampleRate;
}

export function computeFrameFeatures(signal: Float32Array, sampleRate: number, onProgress?: (fraction: number) => void): FrameFeatures {
  const count = signal.length < FRAME_SIZE ? (signal.length > 0 ? 1 : 0) : Math.floor((signal.length - FRAME_SIZE) / HOP_SIZE) + 1;
  const features: FrameFeatures = {
    sampleRate,
    hopSeconds: HOP_SIZE / sampleRate,
    count,
    energyDb: new Float32Array(count),
    flatness: new Float32Array(count),
    bandRatio: new Float32Array(count),
    bandDb: new Float32Array(count),
  };
  const fft = new Fft(FRAME_SIZE);
  const window = new Float64Array(FRAME_SIZE);
  for (let index = 0; index < FRAME_SIZE; index++) window[index] = 0.5 - 0.5 * Math.cos((2 * Math.PI * index) / FRAME_SIZE);
  const windowPower = window.reduce((sum, value) => sum + value * value, 0);
  const real = new Float64Array(FRAME_SIZE);
  const imag = new Float64Array(FRAME_SIZE);
  const binHz = sampleRate / FRAME_SIZE;
  const bin = (hz: number) => Math.min(FRAME_SIZE / 2, Math.round(hz / binHz));
  const flatFrom = bin(300);
  const flatTo = bin(4000);
  const speechFrom = bin(80);
  const speechTo = bin(4000);
  const intensityFrom = bin(300);
  const intensityTo = bin(3000);
  const progressEvery = 20_000;
  for (let frame = 0; frame < count; frame++) {
    const start = frame * HOP_SIZE;
    let energy = 0;
    for (let index = 0; index < FRAME_SIZE; index++) {
      const sample = signal[start + index] ?? 0;
      energy += sample * sample;
      real[index] = sample * window[index]!;
      imag[index] = 0;
    }
    features.energyDb[frame] = 10 * Math.log10(energy / FRAME_SIZE + 1e-12);
    fft.transform(real, imag);
    let total = 0;
    let speech = 0;
    let intensity = 0;
    let logSum = 0;
    let linearSum = 0;
    for (let k = 1; k <= FRAME_SIZE / 2; k++) {
      const power = real[k]! * real[k]! + imag[k]! * imag[k]!;
      total += power;
      if (k >= speechFrom && k <= speechTo) speech += power;
      if (k >= intensityFrom && k <= intensityTo) intensity += power;
      if (k >= flatFrom && k <= flatTo) {
        logSum += Math.log(power + 1e-20);
        linearSum += power;
      }
    }
    const bins = flatTo - flatFrom + 1;
    features.flatness[frame] = linearSum > 0 ? Math.exp(logSum / bins) / (linearSum / bins) : 1;
    features.bandRatio[frame] = total > 0 ? speech / total : 0;
    // Scaled so a band-limited signal reads about its dBFS energy.
    features.bandDb[frame] = 10 * Math.log10((2 * intensity) / (windowPower * FRAME_SIZE) + 1e-12);
    if (onProgress && frame % progressEvery === progressEvery - 1) onProgress(frame / count);
  }
  return features;
}

/** Minimum over a centred window of ±`radius` frames, in O(n) (monotonic deque). */
function slidingMinimum(values: Float32Array, radius: number): Float32Array {
  const result = new Float32Array(values.length);
  const deque = new Int32Array(values.length + 1);
  let head = 0;
  let tail = 0;
  let next = 0;
  for (let index = 0; index < values.length; index++) {
    const reach = Math.min(values.length - 1, index + radius);
    for (; next <= reach; next++) {
      while (tail > head && values[deque[tail - 1]!]! >= values[next]!) tail--;
      deque[tail++] = next;
    }
    while (deque[head]! < index - radius) head++;
    result[index] = values[deque[head]!]!;
  }
  return result;
}

function movingAverage(values: Float32Array, radius: number): Float32Array {
  const result = new Float32Array(values.length);
  let sum = 0;
  let from = 0;
  let to = -1;
  for (let index = 0; index < values.length; index++) {
    while (to < Math.min(values.length - 1, index + radius)) sum += values[++to]!;
    while (from < index - radius) sum -= values[from++]!;
    result[index] = sum / (to - from + 1);
  }
  return result;
}

function percentile(values: Float32Array, fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((sorted.length - 1) * fraction)))]!;
}

/** The adaptive noise floor per frame, dB. */
export function noiseFloor(features: FrameFeatures): Float32Array {
  const framesPerSecond = 1 / features.hopSeconds;
  const smoothed = movingAverage(features.energyDb, Math.round(0.03 * framesPerSecond));
  const floor = movingAverage(slidingMinimum(smoothed, Math.round(2.5 * framesPerSecond)), Math.round(0.5 * framesPerSecond));
  // A recording with no pause at all (a continuous tone, wall-to-wall speech) has no quiet
  // stretch to learn from: never let the floor sit closer than 25 dB under its loud part.
  const ceiling = percentile(features.energyDb, 0.95) - 25;
  for (let index = 0; index < floor.length; index++) floor[index] = Math.max(-100, Math.min(floor[index]!, ceiling));
  return floor;
}

export function detectSpeech(features: FrameFeatures, options: VadOptions): SpeechSegment[] {
  const count = features.count;
  if (count === 0) return [];
  const floor = noiseFloor(features);
  const shift = options.sensitivity - 0.5;
  const highMargin = 12 - 10 * shift;
  const lowMargin = highMargin - 6;
  const flatnessLimit = 0.3 + 0.2 * shift;
  // White noise puts 49% of its energy in 80–4000 Hz at 16 kHz; voiced speech, far more.
  const bandRatioLimit = 0.6 - 0.2 * shift;
  const framesPerSecond = 1 / features.hopSeconds;
  const hangover = Math.round(0.3 * framesPerSecond);
  const minimumCandidates = 3;
  // Signals quieter than this are never speech, however quiet the floor (digital silence).
  const absoluteMinimumDb = -65 + 10 * shift;

  const active = new Uint8Array(count);
  const candidate = new Uint8Array(count);
  for (let frame = 0; frame < count; frame++) {
    const energy = features.energyDb[frame]!;
    if (energy > floor[frame]! + lowMargin && energy > absoluteMinimumDb) active[frame] = 1;
    if (
      active[frame] &&
      energy > floor[frame]! + highMargin &&
      features.flatness[frame]! < flatnessLimit &&
      features.bandRatio[frame]! > bandRatioLimit
    ) {
      candidate[frame] = 1;
    }
  }

  const frameSegments: Array<[number, number]> = [];
  let frame = 0;
  while (frame < count) {
    if (!active[frame]) {
      frame++;
      continue;
    }
    const runStart = frame;
    while (frame < count && active[frame]) frame++;
    const runEnd = frame - 1;
    // Within one active run, voice-like frames within the hangover of each other form a
    // segment; onsets and tails (unvoiced consonants, decays) extend it by the hangover.
    let groupStart = -1;
    let groupEnd = -1;
    let groupCount = 0;
    const closeGroup = () => {
      if (groupCount >= minimumCandidates) {
        frameSegments.push([Math.max(runStart, groupStart - hangover), Math.min(runEnd, groupEnd + hangover)]);
      }
      groupStart = -1;
      groupCount = 0;
    };
    for (let index = runStart; index <= runEnd; index++) {
      if (!candidate[index]) continue;
      if (groupStart >= 0 && index - groupEnd > hangover) closeGroup();
      if (groupStart < 0) groupStart = index;
      groupEnd = index;
      groupCount++;
    }
    closeGroup();
  }

  const segments: SpeechSegment[] = [];
  const halfHop = features.hopSeconds / 2;
  for (const [first, last] of frameSegments) {
    const start = Math.max(0, frameTime(first, features.sampleRate) - halfHop);
    const end = frameTime(last, features.sampleRate) + halfHop;
    const previous = segments[segments.length - 1];
    if (previous && start - previous.end < options.minPauseSeconds) previous.end = Math.max(previous.end, end);
    else segments.push({ start, end });
  }
  return segments.filter((segment) => segment.end - segment.start >= options.minSpeechSeconds);
}

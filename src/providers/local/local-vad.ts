// Voice activity on the 16 kHz mono signal, high-passed first (DC offset, hum): per-frame
// energy plus spectral features (flatness and speech-band energy ratio over a 32 ms
// Hann-windowed FFT, 10 ms hop) computed as samples stream in, an adaptive noise floor
// (sliding minimum, blind to digital silence), dual thresholds with hangover, and pause
// bridging.

import { RealFft } from "./local-fft.js";

export const FRAME_SIZE = 512;
export const HOP_SIZE = 160;
/** Consecutive exact zeros (2 ms) that mark a frame as (partly) digital silence. */
const DIGITAL_SILENCE_RUN = 32;

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
  /** 1 where the frame holds a run of exact zeros (padding, muted stretches): no noise to learn from. */
  digitalSilence: Uint8Array;
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

/**
 * Frame features of a 16 kHz stream, computed as samples arrive (the signal is not kept: only
 * the per-frame values, 17 bytes per 10 ms). Feed it high-passed audio (see `HighPass`) and,
 * for the digital-silence flags, the samples as they were before filtering.
 */
export class FrameFeatureExtractor {
  private readonly sampleRate: number;
  private readonly fft = new RealFft(FRAME_SIZE);
  private readonly window = new Float64Array(FRAME_SIZE);
  private readonly frame = new Float64Array(FRAME_SIZE);
  private readonly real = new Float64Array(FRAME_SIZE / 2 + 1);
  private readonly imag = new Float64Array(FRAME_SIZE / 2 + 1);
  private readonly bins: { flatFrom: number; flatTo: number; speechFrom: number; speechTo: number };
  /** Filtered and raw samples not yet consumed by a frame hop, from `bufferStart`. */
  private buffer = new Float32Array(FRAME_SIZE * 64);
  private raw = new Float32Array(FRAME_SIZE * 64);
  private bufferLength = 0;
  private count = 0;
  private capacity = 1 << 12;
  private energyDb = new Float32Array(this.capacity);
  private flatness = new Float32Array(this.capacity);
  private bandRatio = new Float32Array(this.capacity);
  private digitalSilence = new Uint8Array(this.capacity);
  private totalSamples = 0;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    for (let index = 0; index < FRAME_SIZE; index++) this.window[index] = 0.5 - 0.5 * Math.cos((2 * Math.PI * index) / FRAME_SIZE);
    const binHz = sampleRate / FRAME_SIZE;
    const bin = (hz: number) => Math.min(FRAME_SIZE / 2, Math.round(hz / binHz));
    this.bins = { flatFrom: bin(300), flatTo: bin(4000), speechFrom: bin(80), speechTo: bin(4000) };
  }

  get frameCount(): number {
    return this.count;
  }

  /** `filtered` and `raw` are the same stretch of samples, after and before the high-pass. */
  push(filtered: Float32Array, raw: Float32Array = filtered): void {
    this.totalSamples += filtered.length;
    let offset = 0;
    while (offset < filtered.length) {
      const take = Math.min(filtered.length - offset, this.buffer.length - this.bufferLength);
      this.buffer.set(filtered.subarray(offset, offset + take), this.bufferLength);
      this.raw.set(raw.subarray(offset, offset + take), this.bufferLength);
      this.bufferLength += take;
      offset += take;
      let start = 0;
      while (start + FRAME_SIZE <= this.bufferLength) {
        this.measure(start);
        start += HOP_SIZE;
      }
      if (start > 0) {
        this.buffer.copyWithin(0, start, this.bufferLength);
        this.raw.copyWithin(0, start, this.bufferLength);
        this.bufferLength -= start;
      }
    }
  }

  /** Ends the stream; a signal shorter than one frame still gets one (zero-padded) frame. */
  finish(): FrameFeatures {
    if (this.count === 0 && this.bufferLength > 0) {
      this.buffer.fill(0, this.bufferLength);
      this.raw.fill(0, this.bufferLength);
      this.measure(0);
    }
    const count = this.count;
    return {
      sampleRate: this.sampleRate,
      hopSeconds: HOP_SIZE / this.sampleRate,
      count,
      energyDb: this.energyDb.slice(0, count),
      flatness: this.flatness.slice(0, count),
      bandRatio: this.bandRatio.slice(0, count),
      digitalSilence: this.digitalSilence.slice(0, count),
    };
  }

  private measure(start: number): void {
    if (this.count === this.capacity) this.grow();
    const frame = this.count++;
    const buffer = this.buffer;
    const raw = this.raw;
    let energy = 0;
    let zeroRun = 0;
    let longestZeroRun = 0;
    for (let index = 0; index < FRAME_SIZE; index++) {
      const sample = buffer[start + index]!;
      energy += sample * sample;
      this.frame[index] = sample * this.window[index]!;
      zeroRun = raw[start + index] === 0 ? zeroRun + 1 : 0;
      if (zeroRun > longestZeroRun) longestZeroRun = zeroRun;
    }
    // Any stretch of exact zeros (padding, a muted input) makes the frame's energy no measure
    // of the room's noise, even where it only covers part of the frame.
    this.digitalSilence[frame] = longestZeroRun >= DIGITAL_SILENCE_RUN ? 1 : 0;
    this.energyDb[frame] = 10 * Math.log10(energy / FRAME_SIZE + 1e-12);
    this.fft.transform(this.frame, this.real, this.imag);
    const { flatFrom, flatTo, speechFrom, speechTo } = this.bins;
    let total = 0;
    let speech = 0;
    let logSum = 0;
    let linearSum = 0;
    for (let k = 1; k <= FRAME_SIZE / 2; k++) {
      const power = this.real[k]! * this.real[k]! + this.imag[k]! * this.imag[k]!;
      total += power;
      if (k >= speechFrom && k <= speechTo) speech += power;
      if (k >= flatFrom && k <= flatTo) {
        logSum += Math.log(power + 1e-20);
        linearSum += power;
      }
    }
    const bins = flatTo - flatFrom + 1;
    this.flatness[frame] = linearSum > 0 ? Math.exp(logSum / bins) / (linearSum / bins) : 1;
    this.bandRatio[frame] = total > 0 ? speech / total : 0;
  }

  private grow(): void {
    this.capacity *= 2;
    const grow32 = (array: Float32Array) => {
      const grown = new Float32Array(this.capacity);
      grown.set(array);
      return grown;
    };
    this.energyDb = grow32(this.energyDb);
    this.flatness = grow32(this.flatness);
    this.bandRatio = grow32(this.bandRatio);
    const silence = new Uint8Array(this.capacity);
    silence.set(this.digitalSilence);
    this.digitalSilence = silence;
  }
}

/**
 * Second-order Butterworth high-pass at 50 Hz: removes DC offset and hum below the voice
 * before energy, voicing and pitch are measured. Its state starts at the first sample's
 * value, so a constant offset leaves no transient at the start.
 */
export class HighPass {
  private readonly b0: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly a1: number;
  private readonly a2: number;
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  private started = false;

  constructor(sampleRate: number, cutoffHz = 50) {
    const k = Math.tan((Math.PI * cutoffHz) / sampleRate);
    const q = Math.SQRT1_2;
    const norm = 1 / (1 + k / q + k * k);
    this.b0 = norm;
    this.b1 = -2 * norm;
    this.b2 = norm;
    this.a1 = 2 * (k * k - 1) * norm;
    this.a2 = (1 - k / q + k * k) * norm;
  }

  /** Filters a block, returning a new array (the input is left as it was). */
  process(input: Float32Array): Float32Array {
    const output = new Float32Array(input.length);
    if (input.length === 0) return output;
    if (!this.started) {
      this.x1 = this.x2 = input[0]!;
      this.started = true;
    }
    let { x1, x2, y1, y2 } = this;
    const { b0, b1, b2, a1, a2 } = this;
    for (let index = 0; index < input.length; index++) {
      const x = input[index]!;
      const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      output[index] = y;
    }
    Object.assign(this, { x1, x2, y1, y2 });
    return output;
  }
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

/** Centred moving average; frames flagged in `skip` neither count nor get a value (NaN). */
function movingAverage(values: Float32Array, radius: number, skip?: Uint8Array): Float32Array {
  const result = new Float32Array(values.length);
  let sum = 0;
  let used = 0;
  let from = 0;
  let to = -1;
  for (let index = 0; index < values.length; index++) {
    while (to < Math.min(values.length - 1, index + radius)) {
      to++;
      if (!skip?.[to]) (sum += values[to]!), used++;
    }
    while (from < index - radius) {
      if (!skip?.[from]) (sum -= values[from]!), used--;
      from++;
    }
    result[index] = skip?.[index] || used === 0 ? Number.NaN : sum / used;
  }
  return result;
}

function percentile(values: Float32Array, fraction: number, skip?: Uint8Array): number {
  const kept = skip ? values.filter((_, index) => !skip[index]) : values;
  if (kept.length === 0) return Number.NaN;
  const sorted = Float32Array.from(kept).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((sorted.length - 1) * fraction)))]!;
}

/**
 * The adaptive noise floor per frame, dB. Digital silence (exact zeros: padding, muting) is
 * not noise: it is left out, or a room's noise next to it would pass for speech.
 */
export function noiseFloor(features: FrameFeatures): Float32Array {
  const framesPerSecond = 1 / features.hopSeconds;
  const skip = features.digitalSilence;
  const smoothed = movingAverage(features.energyDb, Math.round(0.03 * framesPerSecond), skip);
  for (let index = 0; index < smoothed.length; index++) if (Number.isNaN(smoothed[index]!)) smoothed[index] = Number.POSITIVE_INFINITY;
  const minimum = slidingMinimum(smoothed, Math.round(2.5 * framesPerSecond));
  // A stretch of only digital silence has no floor of its own: it takes the nearest one.
  const fallback = percentile(features.energyDb, 0.05, skip);
  const unknown = new Uint8Array(minimum.length);
  for (let index = 0; index < minimum.length; index++) if (minimum[index] === Number.POSITIVE_INFINITY) unknown[index] = 1;
  const floor = movingAverage(minimum, Math.round(0.5 * framesPerSecond), unknown);
  // A recording with no pause at all (a continuous tone, wall-to-wall speech) has no quiet
  // stretch to learn from: never let the floor sit closer than 25 dB under its loud part.
  const ceiling = percentile(features.energyDb, 0.95, skip) - 25;
  for (let index = 0; index < floor.length; index++) {
    const value = Number.isNaN(floor[index]!) ? (Number.isNaN(fallback) ? -100 : fallback) : floor[index]!;
    floor[index] = Math.max(-100, Number.isNaN(ceiling) ? value : Math.min(value, ceiling));
  }
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

// Voice activity on the 16 kHz mono signal, high-passed first (DC offset, hum): per-frame
// energy plus spectral features (flatness and speech-band energy ratio over a 32 ms
// Hann-windowed FFT, 10 ms hop) computed as samples stream in, an adaptive noise floor
// (sliding minimum, blind to digital silence), dual thresholds with hangover, and pause
// bridging.

import { RealFft } from "./local-fft.js";
import { FrameColumn, orderStatistics, StreamingMinimum, StreamingMovingAverage } from "./local-frames.js";

export const FRAME_SIZE = 512;
export const HOP_SIZE = 160;
/** Consecutive exact zeros (2 ms) that mark a frame as (partly) digital silence. */
const DIGITAL_SILENCE_RUN = 32;

/** The frame holds a run of exact zeros (padding, a muted stretch): no noise to learn from. */
export const DIGITAL_SILENCE = 1;
/** The frame's spectrum is voice-like: flatness and speech-band share pass the limits for the sensitivity. */
export const VOICE_LIKE_SPECTRUM = 2;

export interface FrameFeatures {
  sampleRate: number;
  hopSeconds: number;
  count: number;
  /** The VAD sensitivity the spectral test in `flags` was made for. */
  sensitivity: number;
  /** Frame energy, dBFS (a full-scale sine reads −3 dB). */
  energyDb: FrameColumn<Float32Array>;
  /** DIGITAL_SILENCE and VOICE_LIKE_SPECTRUM bits per frame. */
  flags: FrameColumn<Uint8Array>;
}

/**
 * The spectral test of a voice-like frame at a sensitivity: spectral flatness over 300–4000 Hz
 * (0 tonal … 1 white noise) under a limit, and the share of energy in 80–4000 Hz (low for
 * rumble, hum and hiss) over one. White noise puts 49% of its energy in 80–4000 Hz at 16 kHz;
 * voiced speech, far more.
 */
export function spectralLimits(sensitivity: number): { flatness: number; bandRatio: number } {
  const shift = sensitivity - 0.5;
  return { flatness: 0.3 + 0.2 * shift, bandRatio: 0.6 - 0.2 * shift };
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
 * the per-frame values, 5 bytes per 10 ms, in fixed-size chunks). Feed it high-passed audio (see `HighPass`) and,
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
  private readonly sensitivity: number;
  private readonly limits: { flatness: number; bandRatio: number };
  private readonly energyDb = FrameColumn.float32();
  private readonly flags = FrameColumn.uint8();

  /** `sensitivity` is the VAD's (see `VadOptions`): the spectral test is made per frame for it. */
  constructor(sampleRate: number, sensitivity = 0.5) {
    this.sampleRate = sampleRate;
    this.sensitivity = sensitivity;
    this.limits = spectralLimits(sensitivity);
    for (let index = 0; index < FRAME_SIZE; index++) this.window[index] = 0.5 - 0.5 * Math.cos((2 * Math.PI * index) / FRAME_SIZE);
    const binHz = sampleRate / FRAME_SIZE;
    const bin = (hz: number) => Math.min(FRAME_SIZE / 2, Math.round(hz / binHz));
    this.bins = { flatFrom: bin(300), flatTo: bin(4000), speechFrom: bin(80), speechTo: bin(4000) };
  }

  get frameCount(): number {
    return this.energyDb.length;
  }

  /** Bytes of per-frame values held: 5 per 10 ms frame, whatever else the stream held. */
  get byteLength(): number {
    return this.energyDb.byteLength + this.flags.byteLength;
  }

  /** `filtered` and `raw` are the same stretch of samples, after and before the high-pass. */
  push(filtered: Float32Array, raw: Float32Array = filtered): void {
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
    if (this.energyDb.length === 0 && this.bufferLength > 0) {
      this.buffer.fill(0, this.bufferLength);
      this.raw.fill(0, this.bufferLength);
      this.measure(0);
    }
    return {
      sampleRate: this.sampleRate,
      hopSeconds: HOP_SIZE / this.sampleRate,
      count: this.energyDb.length,
      sensitivity: this.sensitivity,
      energyDb: this.energyDb,
      flags: this.flags,
    };
  }

  private measure(start: number): void {
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
    let flags = longestZeroRun >= DIGITAL_SILENCE_RUN ? DIGITAL_SILENCE : 0;
    this.energyDb.push(10 * Math.log10(energy / FRAME_SIZE + 1e-12));
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
    // Rounded to Float32 as stored values were: the limits are compared with exactly those.
    const flatness = Math.fround(linearSum > 0 ? Math.exp(logSum / bins) / (linearSum / bins) : 1);
    const bandRatio = Math.fround(total > 0 ? speech / total : 0);
    if (flatness < this.limits.flatness && bandRatio > this.limits.bandRatio) flags |= VOICE_LIKE_SPECTRUM;
    this.flags.push(flags);
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

/** The `fraction` percentile (nearest rank) of the frames' energy, digital silence left out; NaN when none is left. */
function energyPercentiles(features: FrameFeatures, fractions: number[]): number[] {
  const { energyDb, flags, count } = features;
  let kept = 0;
  for (let frame = 0; frame < count; frame++) if (!(flags.get(frame) & DIGITAL_SILENCE)) kept++;
  return orderStatistics(
    kept,
    (take) => {
      for (let frame = 0; frame < count; frame++) if (!(flags.get(frame) & DIGITAL_SILENCE)) take(energyDb.get(frame));
    },
    fractions.map((fraction) => Math.round((kept - 1) * fraction)),
  );
}

/**
 * The adaptive noise floor, dB, handed out frame by frame in order: the energy smoothed over
 * ±30 ms, its minimum over ±2.5 s, that averaged over ±0.5 s, each stage a streaming filter,
 * so nothing as long as the file is allocated. Digital silence (exact zeros: padding,
 * muting) is not noise: it is left out, or a room's noise next to it would pass for speech.
 */
export function noiseFloor(features: FrameFeatures, onFloor: (frame: number, floorDb: number) => void): void {
  const framesPerSecond = 1 / features.hopSeconds;
  // A stretch of only digital silence has no floor of its own: it takes the 5th percentile.
  // A recording with no pause at all (a continuous tone, wall-to-wall speech) has no quiet
  // stretch to learn from: never let the floor sit closer than 25 dB under its loud part.
  const [fallback, loud] = energyPercentiles(features, [0.05, 0.95]) as [number, number];
  const ceiling = loud - 25;
  let frame = 0;
  const floor = new StreamingMovingAverage(Math.round(0.5 * framesPerSecond), (average) => {
    const value = Number.isNaN(average) ? (Number.isNaN(fallback) ? -100 : fallback) : Math.fround(average);
    onFloor(frame++, Math.fround(Math.max(-100, Number.isNaN(ceiling) ? value : Math.min(value, ceiling))));
  });
  const minimum = new StreamingMinimum(Math.round(2.5 * framesPerSecond), (lowest) => floor.push(lowest, lowest === Number.POSITIVE_INFINITY));
  const smoothed = new StreamingMovingAverage(Math.round(0.03 * framesPerSecond), (average) =>
    minimum.push(Number.isNaN(average) ? Number.POSITIVE_INFINITY : Math.fround(average)),
  );
  for (let index = 0; index < features.count; index++) smoothed.push(features.energyDb.get(index), (features.flags.get(index) & DIGITAL_SILENCE) !== 0);
  smoothed.finish();
  minimum.finish();
  floor.finish();
}

export function detectSpeech(features: FrameFeatures, options: VadOptions): SpeechSegment[] {
  const count = features.count;
  if (count === 0) return [];
  if (features.sensitivity !== options.sensitivity) throw new Error("frame features were measured for another VAD sensitivity");
  const shift = options.sensitivity - 0.5;
  const highMargin = 12 - 10 * shift;
  const lowMargin = highMargin - 6;
  const framesPerSecond = 1 / features.hopSeconds;
  const hangover = Math.round(0.3 * framesPerSecond);
  const minimumCandidates = 3;
  // Signals quieter than this are never speech, however quiet the floor (digital silence).
  const absoluteMinimumDb = -65 + 10 * shift;

  // Runs of active frames (above the floor); within one run, voice-like frames within the
  // hangover of each other form a segment, and onsets and tails (unvoiced consonants,
  // decays) extend it by the hangover. Frames arrive in order, so runs close as they end.
  const segments: SpeechSegment[] = [];
  const halfHop = features.hopSeconds / 2;
  const addSegment = (first: number, last: number) => {
    const start = Math.max(0, frameTime(first, features.sampleRate) - halfHop);
    const end = frameTime(last, features.sampleRate) + halfHop;
    const previous = segments[segments.length - 1];
    if (previous && start - previous.end < options.minPauseSeconds) previous.end = Math.max(previous.end, end);
    else segments.push({ start, end });
  };
  let runStart = -1;
  let groupStart = -1;
  let groupEnd = -1;
  let groupCount = 0;
  const closeGroup = (runEnd: number) => {
    if (groupCount >= minimumCandidates) addSegment(Math.max(runStart, groupStart - hangover), Math.min(runEnd, groupEnd + hangover));
    groupStart = -1;
    groupCount = 0;
  };
  noiseFloor(features, (frame, floor) => {
    const energy = features.energyDb.get(frame);
    if (!(energy > floor + lowMargin && energy > absoluteMinimumDb)) {
      if (runStart >= 0) closeGroup(frame - 1);
      runStart = -1;
      return;
    }
    if (runStart < 0) runStart = frame;
    if (energy > floor + highMargin && features.flags.get(frame) & VOICE_LIKE_SPECTRUM) {
      // A group closed inside its run ends at most at the hangover, before the run's end.
      if (groupStart >= 0 && frame - groupEnd > hangover) closeGroup(Number.POSITIVE_INFINITY);
      if (groupStart < 0) groupStart = frame;
      groupEnd = frame;
      groupCount++;
    }
  });
  if (runStart >= 0) closeGroup(count - 1);
  return segments.filter((segment) => segment.end - segment.start >= options.minSpeechSeconds);
}

// F0 and voicing after Boersma (1993), the method behind Praat's "To Pitch (ac)": per 10 ms
// frame, the autocorrelation of a Hann-windowed 3-period stretch divided by the window's own
// autocorrelation; its maxima are candidates whose strength is favoured slightly towards
// higher frequencies (octave cost); an "unvoiced" candidate competes with them, strong where the
// frame is quiet relative to the recording's peak; and a Viterbi path through the candidates
// (octave-jump and voiced/unvoiced transition costs) decides voicing and F0 together. It runs
// on the full 16 kHz signal: without the band above 4 kHz, decaying voiced offsets look more
// periodic than Praat finds them. Frames are analysed as samples arrive and the path is
// decided stretch by stretch, so memory holds one F0 value per frame and no signal.

import { RealFft } from "./local-fft.js";
import { FrameColumn, orderStatistics, type FrameValues } from "./local-frames.js";

const PITCH_RATE = 16_000;

export interface PitchOptions {
  minHz: number;
  maxHz: number;
}

/** Praat's standard settings for To Pitch (ac). */
const PERIODS_PER_WINDOW = 3;
const SILENCE_THRESHOLD = 0.03;
const VOICING_THRESHOLD = 0.45;
const OCTAVE_COST = 0.01;
const OCTAVE_JUMP_COST = 0.35;
const VOICED_UNVOICED_COST = 0.14;
const MAX_CANDIDATES = 15;
const SKIP_BELOW_SILENCE = 0.75;
/** A stretch of frames is decided at the latest after this many (the path is forced there). */
const MAX_PENDING_FRAMES = 3_000;
/** Until this much audio has gone by, the recording's peak is too young to judge silence by: wait. */
const PEAK_SETTLE_FRAMES = 6_000;

/** F0 per analysis frame: frame i is centred at `start + i · step` seconds; 0 = unvoiced. */
export interface PitchTrack {
  start: number;
  step: number;
  f0: FrameValues;
}

export function trackTime(track: PitchTrack, index: number): number {
  return track.start + index * track.step;
}

interface FrameCandidates {
  /** Voiced candidates; the unvoiced one is implicit. */
  frequencies: number[];
  strengths: number[];
  /** Peak of the windowed frame near its centre, for the unvoiced candidate's strength. */
  localPeak: number;
}

/**
 * Streams a 16 kHz signal through the pitch analysis. Frames are centred at the same times as
 * the voice-activity frames (`firstCentreSeconds + i · hopSeconds`), so F0 lines up with them.
 */
export class PitchTracker {
  private readonly minHz: number;
  private readonly maxHz: number;
  private readonly hop: number;
  private readonly firstCentre: number;
  private readonly windowLength: number;
  private readonly halfWindow: number;
  private readonly periodSamples: number;
  private readonly halfPeriod: number;
  private readonly minLag: number;
  private readonly maxLag: number;
  private readonly interpolationLags: number;
  private readonly fft: RealFft;
  private readonly window: Float64Array;
  private readonly windowCorrelation: Float64Array;
  private readonly frame: Float64Array;
  private readonly spectrumReal: Float64Array;
  private readonly spectrumImag: Float64Array;
  private readonly power: Float64Array;
  private readonly correlation: Float64Array;
  private readonly normalized: Float64Array;
  /** 16 kHz samples from `bufferStart` on. */
  private buffer = new Float32Array(1 << 14);
  private bufferStart = 0;
  private bufferLength = 0;
  private nextFrame = 0;
  private peak = 0;
  private pending: FrameCandidates[] = [];
  private decidedFrames = 0;
  private readonly f0 = FrameColumn.float32();
  private previousVoiced = 0;

  constructor(options: PitchOptions, hopSeconds = 0.01, firstCentreSeconds = 0.016) {
    this.minHz = options.minHz;
    this.maxHz = Math.min(options.maxHz, PITCH_RATE / 2);
    this.hop = hopSeconds;
    this.firstCentre = firstCentreSeconds;
    this.periodSamples = Math.floor(PITCH_RATE / this.minHz);
    this.halfPeriod = Math.floor(this.periodSamples / 2) + 1;
    const halfWindow = Math.floor(Math.floor((PERIODS_PER_WINDOW / this.minHz) * PITCH_RATE) / 2) - 1;
    this.halfWindow = halfWindow;
    this.windowLength = 2 * halfWindow;
    this.minLag = Math.max(2, Math.floor(PITCH_RATE / this.maxHz));
    this.maxLag = Math.min(Math.floor(this.windowLength / PERIODS_PER_WINDOW) + 2, this.windowLength);
    this.interpolationLags = Math.floor(this.windowLength * 0.5);
    let size = 1;
    while (size < this.windowLength * 1.5) size *= 2;
    this.fft = new RealFft(size);
    this.frame = new Float64Array(size);
    this.spectrumReal = new Float64Array(size / 2 + 1);
    this.spectrumImag = new Float64Array(size / 2 + 1);
    this.power = new Float64Array(size);
    this.correlation = new Float64Array(this.interpolationLags + 2);
    this.normalized = new Float64Array(this.interpolationLags + 1);
    this.window = new Float64Array(this.windowLength);
    for (let index = 0; index < this.windowLength; index++) this.window[index] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (index + 1)) / (this.windowLength + 1));
    this.windowCorrelation = new Float64Array(this.interpolationLags + 2);
    this.frame.fill(0);
    this.frame.set(this.window);
    this.autocorrelate();
    for (let lag = 0; lag < this.windowCorrelation.length; lag++) this.windowCorrelation[lag] = this.correlation[lag]! / this.correlation[0]!;
  }

  /** Bytes held: the F0 per decided frame (4 per 10 ms) and the signal the next frames need. */
  get byteLength(): number {
    return this.f0.byteLength + this.buffer.byteLength;
  }

  /** Feeds 16 kHz samples (already high-passed); analyses every frame whose window is complete. */
  push(samples16k: Float32Array): void {
    this.append(samples16k);
    this.analyseReadyFrames(false);
  }

  /** Ends the stream after `frameCount` frames (the voice-activity frame count) and returns the track. */
  finish(frameCount: number): PitchTrack {
    this.analyseReadyFrames(true, frameCount);
    this.decide(this.pending.length);
    return { start: this.firstCentre, step: this.hop, f0: this.f0 };
  }

  private append(samples: Float32Array): void {
    // Drop what no future frame needs (its window and local-mean span reach back this far).
    const nextCentre = Math.round((this.firstCentre + this.nextFrame * this.hop) * PITCH_RATE);
    const keepFrom = nextCentre - Math.max(this.halfWindow, this.periodSamples) - 2;
    if (keepFrom > this.bufferStart) {
      const drop = Math.min(this.bufferLength, keepFrom - this.bufferStart);
      this.buffer.copyWithin(0, drop, this.bufferLength);
      this.bufferLength -= drop;
      this.bufferStart += drop;
    }
    if (this.bufferLength + samples.length > this.buffer.length) {
      const grown = new Float32Array(Math.max(this.buffer.length * 2, this.bufferLength + samples.length));
      grown.set(this.buffer.subarray(0, this.bufferLength));
      this.buffer = grown;
    }
    this.buffer.set(samples, this.bufferLength);
    this.bufferLength += samples.length;
    for (const sample of samples) {
      const magnitude = Math.abs(sample);
      if (magnitude > this.peak) this.peak = magnitude;
    }
  }

  private sample(index: number): number {
    const position = index - this.bufferStart;
    return position >= 0 && position < this.bufferLength ? this.buffer[position]! : 0;
  }

  private analyseReadyFrames(final: boolean, frameCount = Number.POSITIVE_INFINITY): void {
    const reach = Math.max(this.halfWindow, this.periodSamples) + 1;
    for (;;) {
      if (this.nextFrame >= frameCount) break;
      const centre = Math.round((this.firstCentre + this.nextFrame * this.hop) * PITCH_RATE);
      if (!final && centre + reach > this.bufferStart + this.bufferLength) break;
      this.pending.push(this.analyseFrame(centre));
      this.nextFrame++;
      const last = this.pending[this.pending.length - 1]!;
      // A frame with no voiced candidate joins every path: decide all before it.
      const settled = this.decidedFrames + this.pending.length >= PEAK_SETTLE_FRAMES;
      if ((settled && last.frequencies.length === 0) || this.pending.length >= MAX_PENDING_FRAMES + (settled ? 0 : PEAK_SETTLE_FRAMES)) {
        this.decide(this.pending.length);
      }
    }
  }

  private analyseFrame(centre: number): FrameCandidates {
    const candidates: FrameCandidates = { frequencies: [], strengths: [], localPeak: 0 };
    // Local mean over one longest period either side: the DC under this frame.
    let mean = 0;
    for (let index = centre - this.periodSamples; index < centre + this.periodSamples; index++) mean += this.sample(index);
    mean /= 2 * this.periodSamples;
    const start = centre - this.halfWindow;
    const frame = this.frame;
    for (let index = 0; index < this.windowLength; index++) frame[index] = (this.sample(start + index) - mean) * this.window[index]!;
    frame.fill(0, this.windowLength);
    let localPeak = 0;
    for (let index = Math.max(0, this.halfWindow - this.halfPeriod); index < Math.min(this.windowLength, this.halfWindow + this.halfPeriod); index++) {
      const magnitude = Math.abs(frame[index]!);
      if (magnitude > localPeak) localPeak = magnitude;
    }
    candidates.localPeak = localPeak;
    // Below 0.75 × the silence threshold of the peak so far (and the final peak is no
    // smaller), the unvoiced candidate is worth over 1.25: no voiced one (≤ 1) could win even
    // with both voicing transitions (0.28) saved. Skip the autocorrelation.
    if (localPeak === 0 || localPeak < SKIP_BELOW_SILENCE * SILENCE_THRESHOLD * this.peak) return candidates;
    this.autocorrelate();
    const r = this.correlation;
    if (!(r[0]! > 0)) return candidates;
    const normalized = this.normalized;
    normalized[0] = 1;
    for (let lag = 1; lag <= this.interpolationLags; lag++) normalized[lag] = r[lag]! / (r[0]! * this.windowCorrelation[lag]!);
    const last = Math.min(this.maxLag, this.interpolationLags - 1);
    for (let lag = Math.max(2, this.minLag); lag <= last; lag++) {
      const value = normalized[lag]!;
      if (!(value > 0.5 * VOICING_THRESHOLD && value > normalized[lag - 1]! && value >= normalized[lag + 1]!)) continue;
      const slope = 0.5 * (normalized[lag + 1]! - normalized[lag - 1]!);
      const curvature = 2 * value - normalized[lag - 1]! - normalized[lag + 1]!;
      const offset = curvature > 0 ? slope / curvature : 0;
      let strength = value + 0.5 * slope * offset;
      // Short windows can push the interpolated maximum past 1: reflect it.
      if (strength > 1) strength = 1 / strength;
      const frequency = PITCH_RATE / (lag + offset);
      if (frequency < this.minHz * 0.95 || frequency > this.maxHz) continue;
      candidates.frequencies.push(frequency);
      candidates.strengths.push(strength);
    }
    if (candidates.frequencies.length > MAX_CANDIDATES - 1) {
      const order = candidates.frequencies
        .map((frequency, index) => ({ frequency, strength: candidates.strengths[index]!, rank: candidates.strengths[index]! - OCTAVE_COST * Math.log2(this.minHz / frequency) }))
        .sort((a, b) => b.rank - a.rank)
        .slice(0, MAX_CANDIDATES - 1);
      candidates.frequencies = order.map((entry) => entry.frequency);
      candidates.strengths = order.map((entry) => entry.strength);
    }
    return candidates;
  }

  /** Autocorrelation of `frame` (zero-padded) into `correlation` via its power spectrum. */
  private autocorrelate(): void {
    const size = this.fft.size;
    this.fft.transform(this.frame, this.spectrumReal, this.spectrumImag);
    const power = this.power;
    const spectrumReal = this.spectrumReal;
    const spectrumImag = this.spectrumImag;
    for (let k = 0; k <= size / 2; k++) power[k] = spectrumReal[k]! * spectrumReal[k]! + spectrumImag[k]! * spectrumImag[k]!;
    for (let k = size / 2 + 1; k < size; k++) power[k] = power[size - k]!;
    // The power spectrum is real and even: its forward transform is the (real) autocorrelation.
    this.fft.transform(power, this.spectrumReal, this.spectrumImag);
    for (let lag = 0; lag < this.correlation.length; lag++) this.correlation[lag] = this.spectrumReal[lag]! / size;
  }

  /** Viterbi over the first `count` pending frames; their F0 becomes final. */
  private decide(count: number): void {
    if (count === 0) return;
    const frames = this.pending.splice(0, count);
    const peak = this.peak || 1;
    const deltas: Float64Array[] = [];
    const back: Int32Array[] = [];
    let previousScores = new Float64Array(0);
    let previousFrequencies: number[] = [];
    for (const [index, frame] of frames.entries()) {
      const states = frame.frequencies.length + 1;
      const delta = new Float64Array(states);
      const intensity = Math.min(1, frame.localPeak / peak);
      delta[0] = VOICING_THRESHOLD + Math.max(0, 2 - intensity / (SILENCE_THRESHOLD / (1 + VOICING_THRESHOLD)));
      for (let state = 1; state < states; state++) {
        delta[state] = frame.strengths[state - 1]! - OCTAVE_COST * Math.log2(this.maxHz / frame.frequencies[state - 1]!);
      }
      deltas.push(delta);
      const scores = new Float64Array(states);
      const pointers = new Int32Array(states);
      for (let state = 0; state < states; state++) {
        const frequency = state === 0 ? 0 : frame.frequencies[state - 1]!;
        if (index === 0) {
          // The stretch before was decided: continue from its last voicing state.
          const entry = this.decidedFrames === 0 ? 0 : (this.previousVoiced > 0) !== (frequency > 0) ? VOICED_UNVOICED_COST : 0;
          scores[state] = delta[state]! - entry;
          continue;
        }
        let best = Number.NEGATIVE_INFINITY;
        let bestFrom = 0;
        for (let from = 0; from < previousScores.length; from++) {
          const previous = from === 0 ? 0 : previousFrequencies[from - 1]!;
          let cost = 0;
          if (previous > 0 && frequency > 0) cost = OCTAVE_JUMP_COST * Math.abs(Math.log2(frequency / previous));
          else if (previous > 0 || frequency > 0) cost = VOICED_UNVOICED_COST;
          const score = previousScores[from]! - cost;
          if (score > best) {
            best = score;
            bestFrom = from;
          }
        }
        scores[state] = best + delta[state]!;
        pointers[state] = bestFrom;
      }
      back.push(pointers);
      previousScores = scores;
      previousFrequencies = frame.frequencies;
    }
    let state = 0;
    for (let candidate = 1; candidate < previousScores.length; candidate++) if (previousScores[candidate]! > previousScores[state]!) state = candidate;
    const chosen = new Float32Array(frames.length);
    for (let index = frames.length - 1; index >= 0; index--) {
      chosen[index] = state === 0 ? 0 : frames[index]!.frequencies[state - 1]!;
      state = back[index]![state]!;
    }
    for (const hz of chosen) this.f0.push(hz);
    this.decidedFrames += chosen.length;
    this.previousVoiced = chosen[chosen.length - 1]!;
  }
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

/** Frames as inclusive index spans: [first, last] pairs. */
export type FrameSpans = Iterable<readonly [number, number]>;

/** The frames centred in [from, to] (to within a nanosecond), as one span (empty when last < first). */
export function framesBetween(track: PitchTrack, from: number, to: number): [number, number] {
  const first = Math.max(0, Math.ceil((from - track.start) / track.step - 1e-9));
  const last = Math.min(track.f0.length - 1, Math.floor((to - track.start) / track.step + 1e-9));
  return [first, last];
}

/** Statistics over the frames of `spans` (disjoint); none of the values is copied. */
export function pitchStats(track: PitchTrack, spans: FrameSpans): PitchStats {
  const f0 = track.f0;
  let frames = 0;
  let voicedFrames = 0;
  for (const [first, last] of spans) {
    for (let index = first; index <= last; index++) {
      frames++;
      if (f0.get(index) > 0) voicedFrames++;
    }
  }
  if (voicedFrames === 0) return { medianHz: null, p10Hz: null, p90Hz: null, semitoneStd: null, voicedRatio: 0, voicedFrames: 0 };
  const eachVoiced = (take: (hz: number) => void) => {
    for (const [first, last] of spans) {
      for (let index = first; index <= last; index++) {
        const hz = f0.get(index);
        if (hz > 0) take(hz);
      }
    }
  };
  const rank = (fraction: number) => Math.round((voicedFrames - 1) * fraction);
  const [median, p10, p90] = orderStatistics(voicedFrames, eachVoiced, [rank(0.5), rank(0.1), rank(0.9)]) as [number, number, number];
  let sum = 0;
  let squares = 0;
  eachVoiced((hz) => {
    const semitones = 12 * Math.log2(hz / median);
    sum += semitones;
    squares += semitones * semitones;
  });
  const mean = sum / voicedFrames;
  return {
    medianHz: median,
    p10Hz: p10,
    p90Hz: p90,
    semitoneStd: Math.sqrt(Math.max(0, squares / voicedFrames - mean * mean)),
    voicedRatio: frames > 0 ? voicedFrames / frames : 0,
    voicedFrames,
  };
}

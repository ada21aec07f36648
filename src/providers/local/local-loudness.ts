// Loudness per ITU-R BS.1770-4 / EBU R128, measured on the original channels at their
// native rate: K-weighting (coefficients derived for the actual sample rate), 400 ms
// gating blocks with 75% overlap, absolute (−70 LUFS) and relative (−10 LU) gates; loudness
// range per EBU Tech 3342 (3 s short-term windows at 10 Hz, −20 LU relative gate, 10th–95th
// percentile); sample peak, 4× oversampled true peak, and clipped samples.

import { channelRoles, loudnessWeight, type ChannelRole } from "./local-channels.js";
import { FrameColumn } from "./local-frames.js";
import { kaiser, sinc } from "./local-resample.js";

export interface LoudnessResult {
  /** null when no 400 ms block passed the gates (silence, or under 0.4 s of audio). */
  integratedLufs: number | null;
  loudnessRangeLu: number | null;
  maxMomentaryLufs: number | null;
  maxShortTermLufs: number | null;
  samplePeakDbfs: number | null;
  truePeakDbtp: number | null;
  clippedSamples: number;
  /** Short-term loudness (3 s window) every `shortTermStepSeconds`, for the report's timeline. */
  shortTermTimeline: Array<number | null>;
  /** 1 s, or the whole seconds that keep a long file's timeline to MAX_LOUDNESS_TIMELINE_POINTS. */
  shortTermStepSeconds: number;
}

/** The loudness timeline holds at most this many points: one a second up to 10 h, coarser beyond. */
export const MAX_LOUDNESS_TIMELINE_POINTS = 36_000;

const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;
const LRA_RELATIVE_GATE_LU = -20;
/** A sample at or beyond the largest 16-bit code counts as clipped (any bit depth, float too). */
const CLIP_THRESHOLD = 1 - 2 ** -15 - 1e-7;
const OVERSAMPLING = 4;
/** Half-length of the true-peak interpolator in input samples: 16 taps per phase, flat (±0.05 dB) to 0.4·fs. */
const TRUE_PEAK_HALF_TAPS = 8;

interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/**
 * The two K-weighting stages for any sample rate, from the analog prototypes behind the
 * 48 kHz coefficients of BS.1770 (the derivation libebur128 uses): a high-shelf "pre-filter"
 * (+4 dB above ~1.7 kHz) and the RLB high-pass (~38 Hz).
 */
export function kWeightingFilters(sampleRate: number): [Biquad, Biquad] {
  const shelfFrequency = 1681.974450955533;
  const shelfGainDb = 3.999843853973347;
  const shelfQ = 0.7071752369554196;
  let k = Math.tan((Math.PI * shelfFrequency) / sampleRate);
  const vh = 10 ** (shelfGainDb / 20);
  const vb = vh ** 0.4996667741545416;
  let a0 = 1 + k / shelfQ + k * k;
  const shelf: Biquad = {
    b0: (vh + (vb * k) / shelfQ + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / shelfQ + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / shelfQ + k * k) / a0,
  };
  const highpassFrequency = 38.13547087602444;
  const highpassQ = 0.5003270373238773;
  k = Math.tan((Math.PI * highpassFrequency) / sampleRate);
  a0 = 1 + k / highpassQ + k * k;
  const highpass: Biquad = {
    b0: 1,
    b1: -2,
    b2: 1,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / highpassQ + k * k) / a0,
  };
  return [shelf, highpass];
}

/** The true-peak interpolator: phases 1..3 of a 4× windowed-sinc (phase 0 is the sample itself). */
function truePeakPhases(): Float64Array[] {
  const taps = 2 * TRUE_PEAK_HALF_TAPS;
  return Array.from({ length: OVERSAMPLING - 1 }, (_, index) => {
    const fraction = (index + 1) / OVERSAMPLING;
    const phase = new Float64Array(taps);
    let sum = 0;
    for (let tap = 0; tap < taps; tap++) {
      // Tap `tap` multiplies x[j - (HALF-1) + tap]; the output sits at j + fraction.
      const distance = fraction + (TRUE_PEAK_HALF_TAPS - 1) - tap;
      phase[tap] = sinc(distance) * kaiser(distance / (TRUE_PEAK_HALF_TAPS + 0.5), 5);
      sum += phase[tap]!;
    }
    for (let tap = 0; tap < taps; tap++) phase[tap]! /= sum;
    return phase;
  });
}

function loudnessOf(power: number): number {
  return -0.691 + 10 * Math.log10(power);
}

function toDb(amplitude: number): number | null {
  return amplitude > 0 ? 20 * Math.log10(amplitude) : null;
}

/** Feed it every decoded chunk of every channel; `finish()` computes the figures. */
export class LoudnessMeter {
  readonly sampleRate: number;
  readonly channelCount: number;
  private readonly weights: number[];
  private readonly filters: [Biquad, Biquad];
  /** Per channel: shelf x1,x2,y1,y2 then high-pass x1,x2,y1,y2. */
  private readonly state: Float64Array[];
  private readonly sums: Float64Array;
  private subBlockIndex = 0;
  private subBlockFill = 0;
  private subBlockTarget: number;
  /** Channel-weighted mean square of each 100 ms sub-block (8 bytes per 100 ms, in fixed-size chunks). */
  private readonly subBlockPowers = FrameColumn.float64();
  private samplePeak = 0;
  private truePeak = 0;
  private clipped = 0;
  private readonly phases = truePeakPhases();
  private readonly interpolatorGain: number;
  /** Per channel: the last samples of the previous chunk, for the interpolator's look-back. */
  private readonly history: Float32Array[];

  /** `roles` name each channel (see local-channels); without them, WAV order is assumed. */
  constructor(sampleRate: number, channelCount: number, roles: ChannelRole[] = channelRoles(channelCount, "wav")) {
    this.sampleRate = sampleRate;
    this.channelCount = channelCount;
    this.weights = roles.map(loudnessWeight);
    this.filters = kWeightingFilters(sampleRate);
    this.state = Array.from({ length: channelCount }, () => new Float64Array(8));
    this.sums = new Float64Array(channelCount);
    this.subBlockTarget = this.subBlockLength(0);
    this.interpolatorGain = Math.max(...this.phases.map((phase) => phase.reduce((sum, tap) => sum + Math.abs(tap), 0)));
    this.history = Array.from({ length: channelCount }, () => new Float32Array(2 * TRUE_PEAK_HALF_TAPS));
  }

  /** Sub-block k spans samples round(k·fs/10) … round((k+1)·fs/10): exact for any rate. */
  private subBlockLength(index: number): number {
    return Math.round(((index + 1) * this.sampleRate) / 10) - Math.round((index * this.sampleRate) / 10);
  }

  process(channels: Float32Array[]): void {
    const length = channels[0]?.length ?? 0;
    let offset = 0;
    while (offset < length) {
      const take = Math.min(length - offset, this.subBlockTarget - this.subBlockFill);
      for (let channel = 0; channel < this.channelCount; channel++) {
        this.sums[channel]! += this.filterSquares(channels[channel]!, channel, offset, offset + take);
      }
      offset += take;
      this.subBlockFill += take;
      if (this.subBlockFill === this.subBlockTarget) this.closeSubBlock();
    }
    for (let channel = 0; channel < this.channelCount; channel++) this.measurePeaks(channels[channel]!, channel);
  }

  private filterSquares(samples: Float32Array, channel: number, from: number, to: number): number {
    const [shelf, highpass] = this.filters;
    const state = this.state[channel]!;
    let [sx1, sx2, sy1, sy2, hx1, hx2, hy1, hy2] = state as unknown as number[] as [number, number, number, number, number, number, number, number];
    let sum = 0;
    for (let index = from; index < to; index++) {
      const input = samples[index]!;
      const shelved = shelf.b0 * input + shelf.b1 * sx1 + shelf.b2 * sx2 - shelf.a1 * sy1 - shelf.a2 * sy2;
      sx2 = sx1;
      sx1 = input;
      sy2 = sy1;
      sy1 = shelved;
      const weighted = shelved - 2 * hx1 + hx2 - highpass.a1 * hy1 - highpass.a2 * hy2;
      hx2 = hx1;
      hx1 = shelved;
      hy2 = hy1;
      hy1 = weighted;
      sum += weighted * weighted;
    }
    state[0] = sx1;
    state[1] = sx2;
    state[2] = sy1;
    state[3] = sy2;
    state[4] = hx1;
    state[5] = hx2;
    state[6] = hy1;
    state[7] = hy2;
    return sum;
  }

  private closeSubBlock(): void {
    let power = 0;
    for (let channel = 0; channel < this.channelCount; channel++) {
      power += (this.weights[channel]! * this.sums[channel]!) / this.subBlockTarget;
      this.sums[channel] = 0;
    }
    this.subBlockPowers.push(power);
    this.subBlockIndex++;
    this.subBlockFill = 0;
    this.subBlockTarget = this.subBlockLength(this.subBlockIndex);
  }

  private measurePeaks(samples: Float32Array, channel: number): void {
    const taps = 2 * TRUE_PEAK_HALF_TAPS;
    const history = this.history[channel]!;
    const joined = new Float32Array(taps + samples.length);
    joined.set(history);
    joined.set(samples, taps);
    let samplePeak = this.samplePeak;
    let clipped = 0;
    for (let index = 0; index < samples.length; index++) {
      const magnitude = Math.abs(samples[index]!);
      if (magnitude > samplePeak) samplePeak = magnitude;
      if (magnitude >= CLIP_THRESHOLD) clipped++;
    }
    this.samplePeak = samplePeak;
    this.clipped += clipped;
    if (samplePeak > this.truePeak) this.truePeak = samplePeak;
    // Interpolate between joined[j] and joined[j+1] where the filter's support lies inside
    // `joined`; stretches too quiet to beat the current true peak (even with the filter's
    // worst-case gain) are skipped, which keeps the 4× oversampling cheap.
    const [phase1, phase2, phase3] = this.phases as [Float64Array, Float64Array, Float64Array];
    const first = TRUE_PEAK_HALF_TAPS - 1;
    const last = joined.length - TRUE_PEAK_HALF_TAPS - 1;
    const stretch = 256;
    for (let start = first; start <= last; start += stretch) {
      const end = Math.min(last, start + stretch - 1);
      let localMax = 0;
      for (let index = start - first; index <= end + TRUE_PEAK_HALF_TAPS; index++) {
        const magnitude = Math.abs(joined[index]!);
        if (magnitude > localMax) localMax = magnitude;
      }
      if (localMax * this.interpolatorGain <= this.truePeak) continue;
      let truePeak = this.truePeak;
      for (let j = start; j <= end; j++) {
        const base = j - first;
        let y1 = 0;
        let y2 = 0;
        let y3 = 0;
        for (let tap = 0; tap < taps; tap++) {
          const sample = joined[base + tap]!;
          y1 += phase1[tap]! * sample;
          y2 += phase2[tap]! * sample;
          y3 += phase3[tap]! * sample;
        }
        const peak = Math.max(Math.abs(y1), Math.abs(y2), Math.abs(y3));
        if (peak > truePeak) truePeak = peak;
      }
      this.truePeak = truePeak;
    }
    history.set(joined.subarray(joined.length - taps));
  }

  /** Bytes held for the gating: what grows with the stream's length. */
  get byteLength(): number {
    return this.subBlockPowers.byteLength;
  }

  finish(): LoudnessResult {
    const powers = this.subBlockPowers;
    const momentary: Windows = (take) => eachWindowPower(powers, 4, take);
    const shortTerm: Windows = (take) => eachWindowPower(powers, 30, take);
    const step = Math.max(1, Math.ceil((powers.length - 29) / 10 / MAX_LOUDNESS_TIMELINE_POINTS));
    return {
      integratedLufs: gatedLoudness(momentary),
      loudnessRangeLu: loudnessRange(shortTerm),
      maxMomentaryLufs: maxLoudness(momentary),
      maxShortTermLufs: maxLoudness(shortTerm),
      samplePeakDbfs: toDb(this.samplePeak),
      truePeakDbtp: toDb(this.truePeak),
      clippedSamples: this.clipped,
      shortTermTimeline: timeline(shortTerm, step),
      shortTermStepSeconds: step,
    };
  }
}

/** Hands over the window powers in order, with their index; read as often as needed, never stored. */
type Windows = (take: (power: number, index: number) => void) => void;

/** Mean power of each run of `size` consecutive 100 ms sub-blocks, stepping one sub-block. */
function eachWindowPower(subBlocks: FrameColumn<Float64Array>, size: number, take: (power: number, index: number) => void): void {
  if (subBlocks.length < size) return;
  let sum = 0;
  for (let index = 0; index < size; index++) sum += subBlocks.get(index);
  take(sum / size, 0);
  for (let index = size; index < subBlocks.length; index++) {
    sum += subBlocks.get(index) - subBlocks.get(index - size);
    take(Math.max(0, sum / size), index - size + 1);
  }
}

function gatedLoudness(blocks: Windows): number | null {
  const absoluteThreshold = 10 ** ((ABSOLUTE_GATE_LUFS + 0.691) / 10);
  let sum = 0;
  let count = 0;
  blocks((power) => {
    if (power > absoluteThreshold) (sum += power), count++;
  });
  if (count === 0) return null;
  const relativeThreshold = (sum / count) * 10 ** (RELATIVE_GATE_LU / 10);
  sum = 0;
  count = 0;
  blocks((power) => {
    if (power > absoluteThreshold && power > relativeThreshold) (sum += power), count++;
  });
  return count === 0 ? null : loudnessOf(sum / count);
}

function loudnessRange(shortTerm: Windows): number | null {
  const absoluteThreshold = 10 ** ((ABSOLUTE_GATE_LUFS + 0.691) / 10);
  let sum = 0;
  let passing = 0;
  shortTerm((power) => {
    if (power > absoluteThreshold) (sum += power), passing++;
  });
  if (passing === 0) return null;
  const relativeThreshold = (sum / passing) * 10 ** (LRA_RELATIVE_GATE_LU / 10);
  let count = 0;
  shortTerm((power) => {
    if (power > absoluteThreshold && power > relativeThreshold) count++;
  });
  if (count === 0) return null;
  // One double per gated 100 ms window (2.9 MB for 10 h), only while the range is computed.
  const gated = new Float64Array(count);
  let filled = 0;
  shortTerm((power) => {
    if (power > absoluteThreshold && power > relativeThreshold) gated[filled++] = loudnessOf(power);
  });
  gated.sort();
  const percentile = (fraction: number) => gated[Math.min(gated.length - 1, Math.round((gated.length - 1) * fraction))]!;
  return percentile(0.95) - percentile(0.1);
}

function maxLoudness(blocks: Windows): number | null {
  let max = 0;
  blocks((power) => {
    if (power > max) max = power;
  });
  return max > 0 ? loudnessOf(max) : null;
}

/** Short-term loudness at the end of every `step` whole seconds (window = the 3 s before it). */
function timeline(shortTerm: Windows, step: number): Array<number | null> {
  const values: Array<number | null> = [];
  // Window i ends at sub-block i + 29, i.e. at (i + 30) / 10 seconds: 3 s, then every `step` s.
  shortTerm((power, index) => {
    if (index % (10 * step) === 0) values.push(power > 1e-10 ? Math.round(loudnessOf(power) * 10) / 10 : null);
  });
  return values;
}

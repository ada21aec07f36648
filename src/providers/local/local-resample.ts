// Streaming mono mixdown and rational-ratio polyphase resampling (windowed-sinc prototype),
// feeding the 16 kHz signal that voice activity, pitch and speaking rate are measured on.

export const ANALYSIS_RATE = 16_000;

function greatestCommonDivisor(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 30; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/** Kaiser window value at `position` in [-1, 1]. */
export function kaiser(position: number, beta: number): number {
  if (Math.abs(position) > 1) return 0;
  return besselI0(beta * Math.sqrt(1 - position * position)) / besselI0(beta);
}

export function sinc(x: number): number {
  if (x === 0) return 1;
  const arg = Math.PI * x;
  return Math.sin(arg) / arg;
}

/**
 * Averages channels into one: what voice activity and pitch are measured on. Channels flagged
 * in `skip` (the LFE: rumble, never speech) stay out of the mix.
 */
export function mixToMono(channels: Float32Array[], skip?: boolean[]): Float32Array {
  if (channels.length === 1) return channels[0]!;
  const length = channels[0]!.length;
  const mono = new Float32Array(length);
  let used = 0;
  for (const [number, channel] of channels.entries()) {
    if (skip?.[number]) continue;
    used++;
    for (let index = 0; index < length; index++) mono[index]! += channel[index]!;
  }
  const scale = 1 / Math.max(1, used);
  for (let index = 0; index < length; index++) mono[index]! *= scale;
  return mono;
}

/**
 * Resamples a stream by L/M with a polyphase FIR. Output sample n sits at input time n·M/L
 * (the filter's delay is compensated), so timestamps survive resampling.
 */
export class StreamingResampler {
  readonly inputRate: number;
  readonly outputRate: number;
  private readonly up: number;
  private readonly down: number;
  private readonly tapsPerPhase: number;
  private readonly coefficients: Float32Array;
  /** The filter split by phase, each phase's taps contiguous (newest sample first). */
  private readonly phases: Float32Array[];
  private readonly center: number;
  private buffer: Float32Array;
  /** Global input index of buffer[0]. */
  private bufferStart: number;
  private bufferLength = 0;
  private outputIndex = 0;
  private inputCount = 0;

  constructor(inputRate: number, outputRate: number) {
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    const divisor = greatestCommonDivisor(inputRate, outputRate);
    this.up = outputRate / divisor;
    this.down = inputRate / divisor;
    // Longer filters when decimating hard, so the anti-alias transition stays narrow.
    this.tapsPerPhase = 2 * Math.ceil(8 * Math.max(1, this.down / this.up));
    const length = this.tapsPerPhase * this.up;
    this.center = length / 2;
    const cutoff = (0.5 / Math.max(this.up, this.down)) * 0.9;
    this.coefficients = new Float32Array(length);
    for (let index = 0; index < length; index++) {
      const offset = index - this.center;
      this.coefficients[index] = 2 * cutoff * this.up * sinc(2 * cutoff * offset) * kaiser(offset / (this.center + 1), 7);
    }
    this.phases = Array.from({ length: this.up }, (_, phase) => {
      const bank = new Float32Array(this.tapsPerPhase);
      for (let tap = 0; tap < this.tapsPerPhase; tap++) bank[tap] = this.coefficients[phase + tap * this.up] ?? 0;
      return bank;
    });
    // Zero history before the first sample.
    this.bufferStart = -this.tapsPerPhase;
    this.buffer = new Float32Array(this.tapsPerPhase + 65_536);
    this.bufferLength = this.tapsPerPhase;
  }

  get passthrough(): boolean {
    return this.up === 1 && this.down === 1;
  }

  /** Feeds input; returns the output samples that are now complete. */
  push(input: Float32Array): Float32Array {
    if (this.passthrough) return input;
    this.inputCount += input.length;
    this.append(input);
    return this.drain(false);
  }

  /** Ends the stream: returns the remaining output (the tail that needed look-ahead). */
  flush(): Float32Array {
    if (this.passthrough) return new Float32Array(0);
    this.append(new Float32Array(this.tapsPerPhase));
    return this.drain(true);
  }

  private append(input: Float32Array): void {
    if (this.bufferLength + input.length > this.buffer.length) {
      const grown = new Float32Array(Math.max(this.buffer.length * 2, this.bufferLength + input.length));
      grown.set(this.buffer.subarray(0, this.bufferLength));
      this.buffer = grown;
    }
    this.buffer.set(input, this.bufferLength);
    this.bufferLength += input.length;
  }

  private drain(final: boolean): Float32Array {
    const up = this.up;
    const down = this.down;
    const taps = this.tapsPerPhase;
    const phases = this.phases;
    const buffer = this.buffer;
    const bufferEnd = this.bufferStart + this.bufferLength;
    const limit = final ? Math.ceil((this.inputCount * up) / down) : Number.POSITIVE_INFINITY;
    // Outputs this call can produce: those whose newest input sample has arrived.
    const available = Math.ceil((bufferEnd * up - this.center) / down) - this.outputIndex;
    const count = Math.max(0, Math.min(available, limit - this.outputIndex));
    const result = new Float32Array(count);
    let produced = 0;
    while (produced < count) {
      const upsampledTime = this.outputIndex * down + this.center;
      const newest = Math.floor(upsampledTime / up);
      if (newest >= bufferEnd) break;
      const bank = phases[upsampledTime - newest * up]!;
      // The zero history before the first sample keeps every tap inside the buffer.
      let position = newest - this.bufferStart;
      let sum = 0;
      for (let tap = 0; tap < taps; tap++, position--) sum += bank[tap]! * buffer[position]!;
      result[produced++] = sum;
      this.outputIndex++;
    }
    // Keep only what future outputs still need.
    const nextNewest = Math.floor((this.outputIndex * down + this.center) / up);
    const keepFrom = Math.max(0, Math.min(this.bufferLength, nextNewest - taps - this.bufferStart));
    if (keepFrom > 0) {
      buffer.copyWithin(0, keepFrom, this.bufferLength);
      this.bufferLength -= keepFrom;
      this.bufferStart += keepFrom;
    }
    return produced === result.length ? result : result.subarray(0, produced);
  }
}

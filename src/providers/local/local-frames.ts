// Per-frame values of a long stream, kept compactly: typed arrays in fixed-size chunks, so
// the store grows by one chunk at a time (no doubling, no copy of what is already held),
// and exact order statistics (medians, percentiles) over such values in constant extra
// memory, so no full-length sorted copy is ever made.

const CHUNK_BITS = 15;
/** Frames per chunk: 32 768, 5.5 minutes of 10 ms frames. */
export const FRAME_CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = FRAME_CHUNK - 1;

type NumberArray = Float64Array | Float32Array | Uint8Array;

/** Read access to per-frame values: a `FrameColumn`, or a plain typed array's view of one. */
export interface FrameValues extends Iterable<number> {
  readonly length: number;
  get(index: number): number;
}

/** An append-only column of per-frame numbers in fixed-size typed-array chunks. */
export class FrameColumn<A extends NumberArray> implements FrameValues {
  private readonly chunks: A[] = [];
  private readonly create: (length: number) => A;
  private count = 0;

  constructor(create: (length: number) => A) {
    this.create = create;
  }

  static float64(): FrameColumn<Float64Array> {
    return new FrameColumn((length) => new Float64Array(length));
  }

  static float32(): FrameColumn<Float32Array> {
    return new FrameColumn((length) => new Float32Array(length));
  }

  static uint8(): FrameColumn<Uint8Array> {
    return new FrameColumn((length) => new Uint8Array(length));
  }

  get length(): number {
    return this.count;
  }

  /** Bytes the column holds: what a stream of this length costs. */
  get byteLength(): number {
    let bytes = 0;
    for (const chunk of this.chunks) bytes += chunk.byteLength;
    return bytes;
  }

  push(value: number): void {
    const index = this.count;
    let chunk = this.chunks[index >>> CHUNK_BITS];
    if (!chunk) {
      chunk = this.create(FRAME_CHUNK);
      this.chunks.push(chunk);
    }
    chunk[index & CHUNK_MASK] = value;
    this.count = index + 1;
  }

  /** The value at `index` (0 ≤ index < length). */
  get(index: number): number {
    return this.chunks[index >>> CHUNK_BITS]![index & CHUNK_MASK]!;
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let index = 0; index < this.count; index++) yield this.get(index);
  }

  /** A contiguous copy, for short stretches (tests, the Hume chunk planner). */
  toArray(): A {
    const result = this.create(this.count);
    for (const [number, chunk] of this.chunks.entries()) {
      const from = number * FRAME_CHUNK;
      result.set(chunk.subarray(0, Math.min(FRAME_CHUNK, this.count - from)) as never, from);
    }
    return result;
  }
}

/** Up to this many values, order statistics copy and sort them; beyond, they use the radix histograms. */
const SORT_AT_MOST = 8_192;
const HISTOGRAM_BINS = 1 << 16;

const floatScratch = new Float32Array(1);
const bitsScratch = new Uint32Array(floatScratch.buffer);

/** A Float32 value's bits as an unsigned key that sorts as the numbers do (−0 before +0). */
function sortKey(value: number): number {
  floatScratch[0] = value;
  const bits = bitsScratch[0]!;
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

function keyValue(key: number): number {
  bitsScratch[0] = key & 0x80000000 ? key & 0x7fffffff : ~key;
  return floatScratch[0]!;
}

/**
 * The k-th smallest (0-based `ranks`) of the Float32 values `visit` hands over, exactly as
 * sorting them would give, without holding them: `count` is how many values `visit` yields,
 * and it must yield the same values each time it is called (it is called up to three times).
 * Few values are copied and sorted; many go through a histogram of their top 16 bits, then
 * one of the low 16 bits inside the bins the ranks fall in (two 256 KiB histograms).
 */
export function orderStatistics(count: number, visit: (take: (value: number) => void) => void, ranks: number[]): number[] {
  if (count === 0) return ranks.map(() => Number.NaN);
  const clamped = ranks.map((rank) => Math.min(count - 1, Math.max(0, rank)));
  if (count <= SORT_AT_MOST) {
    const values = new Float32Array(count);
    let filled = 0;
    visit((value) => {
      values[filled++] = value;
    });
    values.sort();
    return clamped.map((rank) => values[rank]!);
  }
  const high = new Uint32Array(HISTOGRAM_BINS);
  visit((value) => {
    high[sortKey(value) >>> 16]!++;
  });
  // Which high bin each rank falls in, and its rank inside that bin.
  const bins: number[] = [];
  const within: number[] = [];
  for (const rank of clamped) {
    let seen = 0;
    let bin = 0;
    while (seen + high[bin]! <= rank) seen += high[bin++]!;
    bins.push(bin);
    within.push(rank - seen);
  }
  const wanted = [...new Set(bins)];
  const lows = wanted.map(() => new Uint32Array(HISTOGRAM_BINS));
  visit((value) => {
    const key = sortKey(value);
    const slot = wanted.indexOf(key >>> 16);
    if (slot >= 0) lows[slot]![key & 0xffff]!++;
  });
  return clamped.map((_, index) => {
    const low = lows[wanted.indexOf(bins[index]!)]!;
    let seen = 0;
    let bin = 0;
    while (seen + low[bin]! <= within[index]!) seen += low[bin++]!;
    return keyValue(((bins[index]! << 16) | bin) >>> 0);
  });
}

/**
 * A centred moving average over a stream (±`radius` values), emitting each result as soon as
 * the values it needs have arrived; values flagged `skip` neither count nor get a result
 * (NaN). It sums in the same order as a pass over the whole array would, so its results are
 * the same to the last bit.
 */
export class StreamingMovingAverage {
  private readonly radius: number;
  private readonly size: number;
  private readonly values: Float64Array;
  private readonly skips: Uint8Array;
  private readonly emit: (value: number) => void;
  private received = 0;
  private emitted = 0;
  private to = -1;
  private from = 0;
  private sum = 0;
  private used = 0;

  constructor(radius: number, emit: (value: number) => void) {
    this.radius = radius;
    this.size = 2 * radius + 4;
    this.values = new Float64Array(this.size);
    this.skips = new Uint8Array(this.size);
    this.emit = emit;
  }

  push(value: number, skip: boolean): void {
    const slot = this.received % this.size;
    this.values[slot] = value;
    this.skips[slot] = skip ? 1 : 0;
    this.received++;
    while (this.emitted + this.radius < this.received) this.emitNext();
  }

  finish(): void {
    while (this.emitted < this.received) this.emitNext();
  }

  private emitNext(): void {
    const index = this.emitted;
    const reach = Math.min(this.received - 1, index + this.radius);
    const { values, skips, size } = this;
    while (this.to < reach) {
      this.to++;
      const slot = this.to % size;
      if (!skips[slot]) (this.sum += values[slot]!), this.used++;
    }
    while (this.from < index - this.radius) {
      const slot = this.from % size;
      if (!skips[slot]) (this.sum -= values[slot]!), this.used--;
      this.from++;
    }
    this.emitted++;
    this.emit(skips[index % size] || this.used === 0 ? Number.NaN : this.sum / this.used);
  }
}

/** The minimum over a centred window of ±`radius` values of a stream, in O(1) per value (monotonic deque). */
export class StreamingMinimum {
  private readonly radius: number;
  private readonly size: number;
  private readonly values: Float64Array;
  /** Indices of window values that can still be a minimum, their values rising; a ring. */
  private readonly deque: Float64Array;
  private readonly emit: (value: number) => void;
  private head = 0;
  private tail = 0;
  private received = 0;
  private emitted = 0;

  constructor(radius: number, emit: (value: number) => void) {
    this.radius = radius;
    this.size = 2 * radius + 4;
    this.values = new Float64Array(this.size);
    this.deque = new Float64Array(this.size);
    this.emit = emit;
  }

  push(value: number): void {
    const { values, deque, size } = this;
    const index = this.received++;
    values[index % size] = value;
    while (this.tail > this.head && values[deque[(this.tail - 1) % size]! % size]! >= value) this.tail--;
    deque[this.tail++ % size] = index;
    while (this.emitted + this.radius < this.received) this.emitNext();
  }

  finish(): void {
    while (this.emitted < this.received) this.emitNext();
  }

  private emitNext(): void {
    const { values, deque, size } = this;
    const index = this.emitted++;
    while (deque[this.head % size]! < index - this.radius) this.head++;
    this.emit(values[deque[this.head % size]! % size]!);
  }
}

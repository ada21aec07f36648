// In-place radix-2 complex FFT with precomputed twiddles and bit-reversal, for the per-frame
// spectra of the voice-activity detector. Reused across frames: no allocation per call.

export class Fft {
  readonly size: number;
  private readonly cosTable: Float64Array;
  private readonly sinTable: Float64Array;
  private readonly reverse: Uint32Array;

  constructor(size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two, got ${size}`);
    this.size = size;
    this.cosTable = new Float64Array(size / 2);
    this.sinTable = new Float64Array(size / 2);
    for (let index = 0; index < size / 2; index++) {
      this.cosTable[index] = Math.cos((2 * Math.PI * index) / size);
      this.sinTable[index] = -Math.sin((2 * Math.PI * index) / size);
    }
    this.reverse = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let index = 0; index < size; index++) {
      let reversed = 0;
      for (let bit = 0; bit < bits; bit++) reversed |= ((index >> bit) & 1) << (bits - 1 - bit);
      this.reverse[index] = reversed;
    }
  }

  /** Forward transform of (real, imag), in place. */
  transform(real: Float64Array, imag: Float64Array): void {
    const size = this.size;
    const reverse = this.reverse;
    for (let index = 0; index < size; index++) {
      const target = reverse[index]!;
      if (target > index) {
        const realValue = real[index]!;
        real[index] = real[target]!;
        real[target] = realValue;
        const imagValue = imag[index]!;
        imag[index] = imag[target]!;
        imag[target] = imagValue;
      }
    }
    // First stage (twiddle 1): plain sums and differences.
    for (let even = 0; even < size; even += 2) {
      const odd = even + 1;
      const realOdd = real[odd]!;
      const imagOdd = imag[odd]!;
      real[odd] = real[even]! - realOdd;
      imag[odd] = imag[even]! - imagOdd;
      real[even] = real[even]! + realOdd;
      imag[even] = imag[even]! + imagOdd;
    }
    const cosTable = this.cosTable;
    const sinTable = this.sinTable;
    // Later stages: one twiddle at a time across all groups, so it is loaded once.
    for (let half = 2; half < size; half *= 2) {
      const step = size / (2 * half);
      const span = 2 * half;
      for (let offset = 0, twiddle = 0; offset < half; offset++, twiddle += step) {
        const cos = cosTable[twiddle]!;
        const sin = sinTable[twiddle]!;
        for (let even = offset; even < size; even += span) {
          const odd = even + half;
          const realOdd = real[odd]!;
          const imagOdd = imag[odd]!;
          const oddReal = realOdd * cos - imagOdd * sin;
          const oddImag = realOdd * sin + imagOdd * cos;
          const realEven = real[even]!;
          const imagEven = imag[even]!;
          real[odd] = realEven - oddReal;
          imag[odd] = imagEven - oddImag;
          real[even] = realEven + oddReal;
          imag[even] = imagEven + oddImag;
        }
      }
    }
  }
}

/**
 * FFT of a real signal of even power-of-two length N through one complex FFT of N/2 (even
 * samples as real part, odd as imaginary, then split): half the work of a complex transform.
 */
export class RealFft {
  readonly size: number;
  private readonly half: Fft;
  private readonly real: Float64Array;
  private readonly imag: Float64Array;
  private readonly cosTable: Float64Array;
  private readonly sinTable: Float64Array;

  constructor(size: number) {
    this.size = size;
    this.half = new Fft(size / 2);
    this.real = new Float64Array(size / 2);
    this.imag = new Float64Array(size / 2);
    this.cosTable = new Float64Array(size / 2 + 1);
    this.sinTable = new Float64Array(size / 2 + 1);
    for (let k = 0; k <= size / 2; k++) {
      this.cosTable[k] = Math.cos((2 * Math.PI * k) / size);
      this.sinTable[k] = -Math.sin((2 * Math.PI * k) / size);
    }
  }

  /**
   * Spectrum bins 0..N/2 of `input` (length N) into `outReal`/`outImag` (length N/2 + 1).
   * Either output may be the power alone: pass `power` to get |X[k]|² instead.
   */
  transform(input: ArrayLike<number>, outReal: Float64Array, outImag: Float64Array): void {
    const halfSize = this.size / 2;
    const real = this.real;
    const imag = this.imag;
    for (let index = 0; index < halfSize; index++) {
      real[index] = input[2 * index]!;
      imag[index] = input[2 * index + 1]!;
    }
    this.half.transform(real, imag);
    for (let k = 0; k <= halfSize; k++) {
      const a = k === halfSize ? 0 : k;
      const b = k === 0 ? 0 : halfSize - k;
      const zr = real[a]!;
      const zi = imag[a]!;
      const cr = real[b]!;
      const ci = -imag[b]!;
      // E = (Z[k] + conj Z[N/2-k]) / 2, O = (Z[k] - conj Z[N/2-k]) / 2i
      const er = 0.5 * (zr + cr);
      const ei = 0.5 * (zi + ci);
      const or = 0.5 * (zi - ci);
      const oi = -0.5 * (zr - cr);
      const wr = this.cosTable[k]!;
      const wi = this.sinTable[k]!;
      outReal[k] = er + wr * or - wi * oi;
      outImag[k] = ei + wr * oi + wi * or;
    }
  }
}

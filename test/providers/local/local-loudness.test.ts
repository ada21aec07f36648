// Loudness against signals whose truth is known: the EBU Tech 3341/3342 reference cases,
// an inter-sample-peak signal, and counted clipping.

import { describe, expect, it } from "vitest";
import { analyzeFile, DEFAULT_ANALYSIS_OPTIONS } from "../../../src/providers/local/local-analyze.js";
import { kWeightingFilters, LoudnessMeter } from "../../../src/providers/local/local-loudness.js";
import { concat, sine, tempDir, writeWav } from "./signals.js";

const MINUS_23_DBFS = 10 ** (-23 / 20);

function measure(channels: Float32Array[], rate: number) {
  const meter = new LoudnessMeter(rate, channels.length);
  // Feed in uneven pieces, as a decoder would.
  const length = channels[0]!.length;
  for (let offset = 0, piece = 1_000; offset < length; offset += piece, piece = piece === 1_000 ? 4_411 : 1_000) {
    meter.process(channels.map((channel) => channel.subarray(offset, Math.min(length, offset + piece))));
  }
  return meter.finish();
}

/** Raised-cosine fades, so a test tone has no onset transient of its own. */
function faded(samples: Float32Array, rate: number, seconds = 0.01): Float32Array {
  const count = Math.round(rate * seconds);
  for (let index = 0; index < count; index++) {
    const gain = 0.5 - 0.5 * Math.cos((Math.PI * index) / count);
    samples[index]! *= gain;
    samples[samples.length - 1 - index]! *= gain;
  }
  return samples;
}

describe("BS.1770-4 / EBU R128 loudness", () => {
  it.each([48_000, 44_100, 32_000, 16_000])("reads the EBU Tech 3341 case 1 tone (1 kHz, −23 dBFS, stereo) as −23.0 LUFS at %i Hz", (rate) => {
    const tone = sine(20, rate, 1_000, MINUS_23_DBFS);
    const result = measure([tone, tone], rate);
    expect(result.integratedLufs).toBeCloseTo(-23, 1);
    expect(Math.abs(result.integratedLufs! - -23)).toBeLessThanOrEqual(0.1);
    expect(result.loudnessRangeLu).toBeLessThan(0.1);
  });

  it("derives K-weighting for the actual rate: the 48 kHz coefficients match BS.1770's table", () => {
    const [shelf, highpass] = kWeightingFilters(48_000);
    expect(shelf.b0).toBeCloseTo(1.53512485958697, 6);
    expect(shelf.a1).toBeCloseTo(-1.69065929318241, 6);
    expect(shelf.a2).toBeCloseTo(0.73248077421585, 6);
    expect(highpass.a1).toBeCloseTo(-1.99004745483398, 6);
    expect(highpass.a2).toBeCloseTo(0.99007225036621, 6);
  });

  it("gates silence out: −23 LUFS tone with 10 s of silence either side still reads about −23 LUFS", () => {
    const rate = 48_000;
    const signal = concat(new Float32Array(rate * 10), sine(10, rate, 1_000, MINUS_23_DBFS), new Float32Array(rate * 10));
    const integrated = measure([signal, signal], rate).integratedLufs!;
    // Without gating it would read −27.8; the few blocks that straddle an edge pass both gates
    // (as the standard prescribes) and pull it down by about 0.1 LU.
    expect(integrated).toBeGreaterThan(-23.2);
    expect(integrated).toBeLessThanOrEqual(-23);
  });

  it("applies the relative gate: −36 dBFS stretches around a −23 dBFS tone are gated out", () => {
    const rate = 48_000;
    const quiet = 10 ** (-36 / 20);
    const loud = 10 ** (-23 / 20);
    // 10 s at −36 and 60 s at −23 (stereo): the −36 blocks are > 10 LU below and are gated.
    const signal = concat(sine(10, rate, 1_000, quiet), sine(60, rate, 1_000, loud), sine(10, rate, 1_000, quiet));
    expect(measure([signal, signal], rate).integratedLufs).toBeCloseTo(-23, 1);
  });

  it("measures loudness range on alternating levels (EBU Tech 3342 case 1: 20 s at −20, 20 s at −30 → 10 LU)", () => {
    const rate = 48_000;
    const signal = concat(sine(20, rate, 1_000, 10 ** (-20 / 20)), sine(20, rate, 1_000, 10 ** (-30 / 20)));
    const result = measure([signal, signal], rate);
    expect(result.loudnessRangeLu).toBeGreaterThan(9);
    expect(result.loudnessRangeLu).toBeLessThan(11);
  });

  it("reports no loudness for digital silence", () => {
    const result = measure([new Float32Array(48_000 * 3)], 48_000);
    expect(result.integratedLufs).toBeNull();
    expect(result.samplePeakDbfs).toBeNull();
  });

  it("finds the true peak between samples: fs/4 sine at 45° has −3.01 dBFS samples but a 0 dBTP peak", () => {
    const rate = 48_000;
    const tone = faded(sine(2, rate, 12_000, 1, Math.PI / 4), rate);
    const result = measure([tone], rate);
    expect(result.samplePeakDbfs).toBeCloseTo(-3.01, 1);
    expect(result.truePeakDbtp).toBeGreaterThan(result.samplePeakDbfs! + 2.5);
    expect(Math.abs(result.truePeakDbtp!)).toBeLessThan(0.2);
  });

  it("reads true peak equal to sample peak for a low tone", () => {
    const rate = 44_100;
    const result = measure([faded(sine(2, rate, 100, 0.5), rate)], rate);
    expect(result.truePeakDbtp).toBeCloseTo(result.samplePeakDbfs!, 1);
  });

  it("counts clipped samples (full-scale codes) across channels", () => {
    const rate = 16_000;
    const left = sine(1, rate, 440, 0.5);
    const right = sine(1, rate, 440, 0.5);
    for (let index = 0; index < 30; index++) left[1_000 + index] = 1;
    for (let index = 0; index < 12; index++) right[5_000 + index] = -1;
    expect(measure([left, right], rate).clippedSamples).toBe(42);
  });

  it("measures loudness on the original channels, not the mono mixdown (file round trip)", async () => {
    const rate = 48_000;
    const tone = sine(12, rate, 1_000, MINUS_23_DBFS);
    const file = writeWav(tempDir(), "ebu-3341-case-1.wav", [tone, tone], rate, { format: "pcm", bits: 24 });
    const report = await analyzeFile(file, "ebu-3341-case-1.wav", DEFAULT_ANALYSIS_OPTIONS);
    expect(report.loudness.integratedLufs).toBeCloseTo(-23, 1);
    expect(report.channels).toBe(2);
  });
});

// The analyzer's per-frame state stays compact: exact order statistics without a sorted copy,
// streaming filters that give what whole-array passes give, and a state whose size per 10 ms
// frame is fixed, so an hour costs a known few megabytes (structural, not an RSS reading).

import { describe, expect, it } from "vitest";
import { DEFAULT_ANALYSIS_OPTIONS, f0Timeline, MAX_F0_TIMELINE_POINTS, SpeechAnalysis } from "../../../src/providers/local/local-analyze.js";
import { FRAME_CHUNK, FrameColumn, orderStatistics, StreamingMinimum, StreamingMovingAverage } from "../../../src/providers/local/local-frames.js";
import { concat, harmonicStack, mixInto, noise, silence } from "./signals.js";

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("order statistics", () => {
  it("give exactly what sorting gives, for few and for many values, negatives, zeros and repeats", () => {
    const random = seeded(7);
    for (const count of [1, 5, 8_000, 50_000]) {
      const values = Float32Array.from({ length: count }, (_, index) => (index % 11 === 0 ? -120 : index % 13 === 0 ? 0 : index % 17 === 0 ? -0 : (random() - 0.7) * 200));
      const sorted = Float32Array.from(values).sort();
      const ranks = [0, Math.round((count - 1) * 0.05), Math.round((count - 1) * 0.5), Math.floor((count - 1) * 0.99), count - 1];
      const visit = (take: (value: number) => void) => values.forEach((value) => take(value));
      expect(orderStatistics(count, visit, ranks)).toEqual(ranks.map((rank) => sorted[rank]));
    }
  });

  it("answer NaN for an empty set", () => {
    expect(orderStatistics(0, () => undefined, [0])).toEqual([Number.NaN]);
  });
});

describe("streaming filters", () => {
  const values = Float32Array.from({ length: 5_000 }, (_, index) => Math.sin(index / 37) * 40 - 60 + (index % 7));
  const skip = Uint8Array.from({ length: values.length }, (_, index) => (index > 1_000 && index < 1_400) || index % 97 === 0 ? 1 : 0);

  it("moving average: the same, to the bit, as summing over the whole array", () => {
    const radius = 50;
    const expected: number[] = [];
    let sum = 0;
    let used = 0;
    let from = 0;
    let to = -1;
    for (let index = 0; index < values.length; index++) {
      while (to < Math.min(values.length - 1, index + radius)) {
        to++;
        if (!skip[to]) (sum += values[to]!), used++;
      }
      while (from < index - radius) {
        if (!skip[from]) (sum -= values[from]!), used--;
        from++;
      }
      expected.push(skip[index] || used === 0 ? Number.NaN : sum / used);
    }
    const got: number[] = [];
    const average = new StreamingMovingAverage(radius, (value) => got.push(value));
    values.forEach((value, index) => average.push(value, skip[index] === 1));
    average.finish();
    expect(got).toEqual(expected);
  });

  it("minimum over ±radius: the same as scanning each window", () => {
    const radius = 250;
    const got: number[] = [];
    const minimum = new StreamingMinimum(radius, (value) => got.push(value));
    values.forEach((value) => minimum.push(value));
    minimum.finish();
    const expected = Array.from(values, (_, index) => Math.min(...values.subarray(Math.max(0, index - radius), index + radius + 1)));
    expect(got).toEqual(expected);
  });
});

describe("per-frame state", () => {
  it("costs 9 bytes per 10 ms frame, allocated a chunk at a time (10 h of audio: 33 MB)", () => {
    const rate = 16_000;
    // Six minutes of speech-like bursts and pauses over a faint noise floor, fed in 1 s blocks.
    const minute = concat(harmonicStack(20, rate, 120, 0.3), silence(10, rate), harmonicStack(25, rate, 210, 0.2), silence(5, rate));
    mixInto(minute, noise(60, rate, 0.001, 3));
    const analysis = new SpeechAnalysis(DEFAULT_ANALYSIS_OPTIONS);
    for (let turn = 0; turn < 6; turn++) for (let second = 0; second < 60; second++) analysis.push(minute.subarray(second * rate, (second + 1) * rate));
    const frames = (6 * 60 * rate) / 160;
    // Per frame: energy (4 bytes), flags (1), F0 (4), in whole chunks; plus the pitch tracker's
    // look-back, under 2^15 samples for 1 s blocks whatever the length. One more 4-byte value per
    // frame, or a doubling array, would not fit.
    const chunked = (count: number) => Math.ceil(count / FRAME_CHUNK) * FRAME_CHUNK;
    const lookBack = 4 * 2 ** 15;
    expect(analysis.byteLength).toBeLessThanOrEqual(9 * chunked(frames) + lookBack);
    expect(9 * chunked(10 * 3600 * 100) + lookBack).toBeLessThan(34 * 1024 * 1024);
    const measures = analysis.finish(6 * 60);
    expect(measures.features.count).toBeGreaterThanOrEqual(frames - 3);
    expect(measures.segments.length).toBeGreaterThanOrEqual(12);
  });

  it("keeps the report's F0 timeline to a bounded number of points for 10 h of speech, on the 50 ms grid", () => {
    const f0 = FrameColumn.float32();
    const frames = 10 * 3600 * 100;
    for (let frame = 0; frame < frames; frame++) f0.push(frame % 3 === 0 ? 0 : 100 + (frame % 50));
    const timeline = f0Timeline({ start: 0.016, step: 0.01, f0 }, [{ start: 0, end: frames / 100 }]);
    expect(timeline.length).toBeLessThanOrEqual(MAX_F0_TIMELINE_POINTS);
    expect(timeline.length).toBeGreaterThan(MAX_F0_TIMELINE_POINTS / 2);
    const step = timeline[1]![0] - timeline[0]![0];
    expect(Math.round(step * 100) % 5).toBe(0);
    // A short file keeps the 50 ms grid.
    const short = f0Timeline({ start: 0.016, step: 0.01, f0 }, [{ start: 0, end: 60 }]);
    expect(short[1]![0] - short[0]![0]).toBeCloseTo(0.05, 6);
  });
});

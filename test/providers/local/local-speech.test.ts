// Voice activity, pitch and speaking rate against generated signals with known truth.

import { describe, expect, it } from "vitest";
import { analyzeFile, DEFAULT_ANALYSIS_OPTIONS, type AnalysisOptions } from "../../../src/providers/local/local-analyze.js";
import { concat, harmonicStack, mixInto, noise, silence, tempDir, writeWav } from "./signals.js";

const RATE = 16_000;
const directory = tempDir();

async function analyze(name: string, channels: Float32Array[], rate = RATE, options: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS) {
  return analyzeFile(writeWav(directory, name, channels, rate), name, options);
}

describe("speech activity", () => {
  it("finds voiced bursts with edges within ±0.1 s, and ignores a loud noise burst and a low noise floor", async () => {
    // 0–1 quiet, 1–2.5 voice (120 Hz), 2.5–3.5 quiet, 3.5–4.5 loud white noise, 4.5–5.5 quiet,
    // 5.5–7.5 voice (220 Hz), 7.5–9 quiet; a −60 dBFS noise floor throughout.
    const signal = concat(
      silence(1, RATE),
      harmonicStack(1.5, RATE, 120, 0.3),
      silence(1, RATE),
      noise(1, RATE, 0.3, 3),
      silence(1, RATE),
      harmonicStack(2, RATE, 220, 0.3),
      silence(1.5, RATE),
    );
    mixInto(signal, noise(9, RATE, 0.001, 9));
    const report = await analyze("pattern.wav", [signal]);
    expect(report.segments).toHaveLength(2);
    const [first, second] = report.segments as [(typeof report.segments)[0], (typeof report.segments)[0]];
    expect(Math.abs(first.start - 1)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(first.end - 2.5)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(second.start - 5.5)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(second.end - 7.5)).toBeLessThanOrEqual(0.1);
    expect(report.speech.ratio).toBeGreaterThan(3.2 / 9);
    expect(report.speech.ratio).toBeLessThan(3.8 / 9);
    expect(report.speech.pauses.count).toBe(1);
    expect(report.speech.pauses.longestSeconds).toBeGreaterThan(2.8);
    expect(report.speech.pauses.longestSeconds).toBeLessThan(3.2);
  });

  it("bridges gaps shorter than min_pause_s and counts longer ones as pauses", async () => {
    const burst = () => harmonicStack(0.6, RATE, 150, 0.3);
    // gaps: 0.15 s (bridged), 0.5 s, 1.0 s (pauses)
    const signal = concat(silence(0.5, RATE), burst(), silence(0.15, RATE), burst(), silence(0.5, RATE), burst(), silence(1, RATE), burst(), silence(0.5, RATE));
    const report = await analyze("gaps.wav", [signal]);
    expect(report.speech.segmentCount).toBe(3);
    expect(report.speech.pauses.count).toBe(2);
    expect(report.speech.pauses.meanSeconds).toBeGreaterThan(0.65);
    expect(report.speech.pauses.meanSeconds).toBeLessThan(0.85);

    const strict = await analyze("gaps-strict.wav", [signal], RATE, { ...DEFAULT_ANALYSIS_OPTIONS, minPauseSeconds: 0.1 });
    expect(strict.speech.pauses.count).toBe(3);
  });

  it("finds no speech in silence or in steady white noise", async () => {
    expect((await analyze("silence.wav", [silence(3, RATE)])).speech.segmentCount).toBe(0);
    const hiss = await analyze("hiss.wav", [noise(5, RATE, 0.2, 4)]);
    expect(hiss.speech.segmentCount).toBe(0);
    expect(hiss.pitch.medianHz).toBeNull();
  });
});

describe("pitch", () => {
  it.each([
    [120, 16_000],
    [220, 16_000],
    [120, 44_100],
    [220, 48_000],
  ])("reads a %i Hz harmonic stack at %i Hz within ±2%%", async (f0, rate) => {
    const signal = concat(silence(0.5, rate), harmonicStack(2, rate, f0, 0.3), silence(0.5, rate));
    const report = await analyze(`stack-${f0}-${rate}.wav`, [signal], rate);
    expect(report.pitch.medianHz).not.toBeNull();
    expect(Math.abs(report.pitch.medianHz! / f0 - 1)).toBeLessThanOrEqual(0.02);
    expect(report.pitch.voicedRatio).toBeGreaterThan(0.9);
    expect(report.pitch.semitoneStd).toBeLessThan(0.5);
    expect(report.segments[0]!.f0MedianHz).toBeCloseTo(f0, -1);
  });

  it("reports a range and variability for a voice that moves between two pitches", async () => {
    const signal = concat(silence(0.5, RATE), harmonicStack(1.5, RATE, 110, 0.3), harmonicStack(1.5, RATE, 220, 0.3), silence(0.5, RATE));
    const report = await analyze("two-pitches.wav", [signal]);
    expect(Math.abs(report.pitch.p10Hz! / 110 - 1)).toBeLessThan(0.03);
    expect(Math.abs(report.pitch.p90Hz! / 220 - 1)).toBeLessThan(0.03);
    // An octave apart, half the frames each: about 6 semitones of spread.
    expect(report.pitch.semitoneStd).toBeGreaterThan(5);
    expect(report.pitch.semitoneStd).toBeLessThan(7);
  });

  it("marks a jump of an octave between neighbouring segments as a likely voice change", async () => {
    const signal = concat(silence(0.5, RATE), harmonicStack(1.5, RATE, 110, 0.3), silence(0.8, RATE), harmonicStack(1.5, RATE, 230, 0.3), silence(0.5, RATE));
    const report = await analyze("voice-change.wav", [signal]);
    expect(report.voiceChanges).toHaveLength(1);
    expect(Math.abs(report.voiceChanges[0]! - 2.4)).toBeLessThan(0.2);
  });
});

describe("speaking rate", () => {
  it.each([3, 5])("counts about %i syllable nuclei per second in a voice modulated at that rate", async (rateHz) => {
    const signal = concat(silence(0.5, RATE), harmonicStack(4, RATE, 140, 0.3, { amHz: rateHz, amDepth: 0.9 }), silence(0.5, RATE));
    const report = await analyze(`syllables-${rateHz}.wav`, [signal]);
    expect(report.rate.perSecondOfSpeech).toBeGreaterThan(rateHz * 0.85);
    expect(report.rate.perSecondOfSpeech).toBeLessThan(rateHz * 1.15);
  });

  it("counts one nucleus for a steady tone", async () => {
    const report = await analyze("steady.wav", [concat(silence(0.5, RATE), harmonicStack(1, RATE, 140, 0.3), silence(0.5, RATE))]);
    expect(report.rate.syllables).toBe(1);
  });
});

describe("the committed speech sample", () => {
  it("has several voices, pauses and a plausible speaking rate", async () => {
    const report = await analyzeFile("assets/sample/sample.ogg", "sample.ogg", DEFAULT_ANALYSIS_OPTIONS);
    expect(report.format).toBe("Ogg Vorbis");
    expect(report.durationSeconds).toBeGreaterThan(25);
    expect(report.speech.ratio).toBeGreaterThan(0.5);
    expect(report.speech.ratio).toBeLessThan(0.9);
    expect(report.speech.pauses.count).toBeGreaterThanOrEqual(3);
    expect(report.speech.pauses.longestSeconds).toBeGreaterThan(1);
    expect(report.voiceChanges.length).toBeGreaterThanOrEqual(2);
    expect(report.rate.perSecondOfSpeech).toBeGreaterThan(2);
    expect(report.rate.perSecondOfSpeech).toBeLessThan(7);
    const medians = report.segments.map((segment) => segment.f0MedianHz).filter((value): value is number => value !== null);
    expect(Math.max(...medians) / Math.min(...medians)).toBeGreaterThan(1.8);
  });
});

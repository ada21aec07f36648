// The analyzer on real human speech (test/fixtures/speech: read speech, commands, telephone
// band, MP3) against the figures Praat, ffmpeg and the WebRTC VAD gave for the same clips
// (references.json; the peer tools are not needed here). Goals from issue 11.

import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateClip, loadCorpus, SPEECH_FIXTURES, type ClipAccuracy } from "../../../src/bench/local-accuracy.js";
import { analyzeFile, analyzeFileInDetail, DEFAULT_ANALYSIS_OPTIONS, measureSpeech, SpeechAnalysis } from "../../../src/providers/local/local-analyze.js";
import { openAudioSource } from "../../../src/providers/local/local-decode.js";
import { concat, noise, silence, sine, tempDir, writeWav } from "./signals.js";

const { clips, references } = loadCorpus();
const speechClips = clips.filter((clip) => references[clip.file]?.praatPitch);
const results = new Map<string, ClipAccuracy>();
const directory = tempDir();

beforeAll(async () => {
  for (const clip of speechClips) results.set(clip.file, await evaluateClip(clip, references[clip.file]!));
}, 120_000);

async function monoOf(file: string): Promise<{ samples: Float32Array; rate: number }> {
  const source = await openAudioSource(file, path.basename(file));
  const pieces: Float32Array[] = [];
  let rate = 0;
  for await (const chunk of source.chunks()) {
    pieces.push(chunk.channels[0]!);
    rate = chunk.sampleRate;
  }
  await source.close();
  return { samples: concat(...pieces), rate };
}

describe("voicing and F0 against Praat's To Pitch (ac)", () => {
  it.each(speechClips.map((clip) => [clip.file]))("%s: ≥ 90% of Praat's voiced frames, ≤ 5% voiced where Praat hears none, F0 median within 5%", (file) => {
    const voicing = results.get(file)!.voicing!;
    expect(voicing.hitRate).toBeGreaterThanOrEqual(0.9);
    expect(voicing.falseVoicedRate).toBeLessThanOrEqual(0.05);
    if (voicing.praatVoicedSeconds >= 1) {
      expect(Math.abs(voicing.f0MedianOurs! / voicing.f0MedianPraat! - 1)).toBeLessThanOrEqual(0.05);
    }
    // Only the MP3 may need lining up (mpg123 drops the encoder delay, Praat's reader not).
    if (!file.endsWith(".mp3")) expect(voicing.shiftSeconds).toBe(0);
  });
});

describe("syllable nuclei against the transcripts", () => {
  const total = (filter: (file: string) => boolean) => {
    let ours = 0;
    let text = 0;
    for (const [file, result] of results) {
      if (!filter(file) || !result.syllables) continue;
      ours += result.syllables.ours;
      text += result.syllables.fromText;
    }
    return { ours, text };
  };

  it("finds the transcripts' syllable count within 10% on the read speech and over the whole corpus", () => {
    for (const filter of [(file: string) => file.startsWith("librivox-") && file.endsWith(".wav"), () => true]) {
      const { ours, text } = total(filter);
      expect(text).toBeGreaterThan(90);
      expect(Math.abs(ours / text - 1)).toBeLessThanOrEqual(0.1);
    }
  });

  it("is within 10% (or one syllable, on short clips) of the transcript on every clip", () => {
    for (const result of results.values()) {
      if (!result.syllables) continue;
      expect(Math.abs(result.syllables.ours - result.syllables.fromText)).toBeLessThanOrEqual(Math.max(1, Math.round(result.syllables.fromText * 0.1)));
    }
  });
});

describe("speech/pause split against the WebRTC VAD", () => {
  it("agrees on ≥ 90% of 10 ms frames over the corpus (mode 2) and ≥ 80% on every clip", () => {
    const agreements = [...results.values()].map((result) => result.vadAgreement![2]!);
    for (const agreement of agreements) expect(agreement).toBeGreaterThanOrEqual(0.8);
    expect(agreements.reduce((sum, value) => sum + value, 0) / agreements.length).toBeGreaterThanOrEqual(0.9);
  });

  it("leaves real speech without notes", () => {
    for (const result of results.values()) expect(result.report.notes).toEqual([]);
  });
});

describe("a robust front end", () => {
  const base = "librivox-0870.wav";

  async function variant(name: string, transform: (samples: Float32Array, rate: number) => Float32Array) {
    const { samples, rate } = await monoOf(path.join(SPEECH_FIXTURES, base));
    return analyzeFileInDetail(writeWav(directory, name, [transform(samples, rate)], rate), name, DEFAULT_ANALYSIS_OPTIONS);
  }

  it.each([0.3, 0.02, -0.1])("a DC offset of %f changes neither the speech/pause split nor voicing", async (offset) => {
    const clean = results.get(base)!.report;
    const shifted = await variant(`dc-${offset}.wav`, (samples) => samples.map((sample) => sample + offset));
    expect(shifted.report.speech.segmentCount).toBe(clean.speech.segmentCount);
    expect(Math.abs(shifted.report.speech.speechSeconds - clean.speech.speechSeconds)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(shifted.report.pitch.voicedRatio - clean.pitch.voicedRatio)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(shifted.report.pitch.medianHz! / clean.pitch.medianHz! - 1)).toBeLessThanOrEqual(0.01);
  });

  it("digital-silence padding changes nothing: same segments, 2 s later, with room noise under the speech", async () => {
    const pad = (samples: Float32Array, rate: number) => concat(silence(2, rate), samples, silence(3, rate));
    // Room noise at −55 dBFS under the speech only: next to the zeros it must stay a pause.
    const withRoom = (samples: Float32Array) => {
      const room = noise(samples.length / 16_000, 16_000, 0.0025, 7);
      return samples.map((sample, index) => sample + room[index]!);
    };
    const plain = await variant("room.wav", (samples) => withRoom(samples));
    const padded = await variant("room-padded.wav", (samples, rate) => pad(withRoom(samples), rate));
    expect(padded.report.speech.segmentCount).toBe(plain.report.speech.segmentCount);
    expect(Math.abs(padded.report.speech.speechSeconds - plain.report.speech.speechSeconds)).toBeLessThanOrEqual(0.05);
    for (const [index, segment] of padded.report.segments.entries()) {
      expect(Math.abs(segment.start - 2 - plain.report.segments[index]!.start)).toBeLessThanOrEqual(0.02);
      expect(Math.abs(segment.end - 2 - plain.report.segments[index]!.end)).toBeLessThanOrEqual(0.02);
    }
  });

  it("says plainly when no voiced speech was found: noise, a modem answer tone", async () => {
    const rate = 16_000;
    const hiss = await analyzeFile(writeWav(directory, "hiss-burst.wav", [concat(silence(1, rate), noise(4, rate, 0.3, 5), silence(1, rate))], rate), "hiss-burst.wav", DEFAULT_ANALYSIS_OPTIONS);
    const tone = await analyzeFile(writeWav(directory, "answer-tone.wav", [concat(silence(0.5, rate), sine(3.3, rate, 2_100, 0.3), silence(0.5, rate))], rate), "answer-tone.wav", DEFAULT_ANALYSIS_OPTIONS);
    for (const report of [hiss, tone]) {
      expect(report.notes.join(" ")).toMatch(/No (voiced )?speech was found/);
    }
  });
});

describe("streaming", () => {
  it("gives the same frames, F0 and segments whatever the block size", async () => {
    const { samples } = await monoOf(path.join(SPEECH_FIXTURES, "librivox-0920.wav"));
    const whole = measureSpeech(samples);
    const analysis = new SpeechAnalysis(DEFAULT_ANALYSIS_OPTIONS);
    const sizes = [1, 7, 160, 511, 4_096, 333];
    for (let offset = 0, turn = 0; offset < samples.length; turn++) {
      const size = sizes[turn % sizes.length]!;
      analysis.push(samples.subarray(offset, offset + size));
      offset += size;
    }
    const pieces = analysis.finish(samples.length / 16_000);
    expect(pieces.features.count).toBe(whole.features.count);
    expect([...pieces.pitch.f0]).toEqual([...whole.pitch.f0]);
    expect(pieces.segments).toEqual(whole.segments);
    expect(pieces.nuclei).toEqual(whole.nuclei);
  });
});


// Channels at the decoder edge, against ffmpeg's ebur128 on committed files: a mono MP3 is
// mono (mpg123 always hands out two channels), 5.1 Vorbis and Opus are weighted by channel
// role (Vorbis order L C R Ls Rs LFE), G.711 telephone WAV decodes, and a file that ends
// early is analysed with a note saying so.

import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile, DEFAULT_ANALYSIS_OPTIONS } from "../../../src/providers/local/local-analyze.js";
import { channelRoles } from "../../../src/providers/local/local-channels.js";
import { LoudnessMeter } from "../../../src/providers/local/local-loudness.js";
import { G711_TABLES } from "../../../src/providers/local/local-wav.js";
import { sine, tempDir, writeWav } from "./signals.js";
import { clipPath, references } from "./speech-corpus.js";

const directory = tempDir();
/** ffmpeg prints integrated loudness to 0.1 LU: allow its rounding on top of the 0.1 LU goal. */
const LOUDNESS_TOLERANCE = 0.1 + 0.05;

async function analyze(file: string) {
  return analyzeFile(file, path.basename(file), DEFAULT_ANALYSIS_OPTIONS);
}

describe("channel count and loudness against ffmpeg ebur128", () => {
  it.each([
    ["librivox-0870-mono.mp3", 1, "MP3"],
    ["surround-5.1-0930.ogg", 6, "Ogg Vorbis"],
    ["surround-5.1-0930.opus", 6, "Ogg Opus"],
    ["phone-mulaw-0920.wav", 1, "WAV G.711 µ-law"],
    ["phone-alaw-cards-005.wav", 1, "WAV G.711 A-law"],
    ["librivox-0870.wav", 1, "WAV PCM 16-bit"],
  ])("%s: %i channel(s), integrated loudness within 0.1 LU of ffmpeg", async (file, channels, format) => {
    const report = await analyze(clipPath(file));
    expect(report.format).toBe(format);
    expect(report.channels).toBe(channels);
    expect(Math.abs(report.loudness.integratedLufs! - references[file]!.ffmpegEbur128.integratedLufs)).toBeLessThanOrEqual(LOUDNESS_TOLERANCE);
    expect(report.notes).toEqual([]);
  });

  it("weights 5.1 by role in Vorbis order: a loud LFE (last) counts nothing, surrounds (4th, 5th) count 1.41", () => {
    const rate = 48_000;
    const tone = sine(3, rate, 1_000, 0.1);
    const quiet = new Float32Array(tone.length);
    const measure = (order: "wav" | "vorbis", loudChannel: number) => {
      const channels = Array.from({ length: 6 }, (_, index) => (index === loudChannel ? tone : quiet));
      const meter = new LoudnessMeter(rate, 6, channelRoles(6, order));
      meter.process(channels);
      return meter.finish().integratedLufs;
    };
    const front = measure("vorbis", 0)!;
    expect(measure("vorbis", 5)).toBeNull(); // LFE alone: nothing to measure
    expect(measure("vorbis", 3)! - front).toBeCloseTo(10 * Math.log10(1.41), 2);
    expect(measure("vorbis", 1)! - front).toBeCloseTo(0, 2); // centre
    expect(measure("wav", 3)).toBeNull(); // WAV's LFE is the 4th channel
  });
});

describe("G.711", () => {
  it("decodes μ-law and A-law per ITU-T G.711 (end points, zero, symmetry, monotonic segments)", () => {
    const scale = 32_768;
    expect(G711_TABLES.mulaw[0xff]! * scale).toBe(0);
    expect(G711_TABLES.mulaw[0x80]! * scale).toBe(32_124);
    expect(G711_TABLES.mulaw[0x00]! * scale).toBe(-32_124);
    expect(G711_TABLES.alaw[0xd5]! * scale).toBe(8);
    expect(G711_TABLES.alaw[0x55]! * scale).toBe(-8);
    expect(G711_TABLES.alaw[0xaa]! * scale).toBe(32_256);
    expect(G711_TABLES.alaw[0x2a]! * scale).toBe(-32_256);
    for (let code = 0; code < 128; code++) {
      expect(G711_TABLES.mulaw[code]).toBe(-G711_TABLES.mulaw[code + 128]!);
      expect(G711_TABLES.alaw[code]).toBe(-G711_TABLES.alaw[code + 128]!);
    }
    // μ-law codes 0x80..0xff run from the largest positive value down to zero.
    for (let code = 0x81; code <= 0xff; code++) expect(G711_TABLES.mulaw[code]!).toBeLessThan(G711_TABLES.mulaw[code - 1]!);
  });
});

describe("files that end early", () => {
  const cut = (source: string, name: string, bytes: number) => {
    const file = path.join(directory, name);
    fs.writeFileSync(file, fs.readFileSync(source).subarray(0, bytes));
    return file;
  };

  it.each([
    ["librivox-0870.wav", "cut.wav", 100_000, /promises 7\.1 s.*only 3\.1 s/],
    ["librivox-0870-mono.mp3", "cut.mp3", 20_000, /promises 7\.2 s.*only 3\.2 s/],
    ["surround-5.1-0930.ogg", "cut.ogg", 40_000, /without the end-of-stream marker/],
  ])("%s cut short is analysed, with a note that it ends early", async (file, name, bytes, detail) => {
    const report = await analyze(cut(clipPath(file), name, bytes));
    expect(report.durationSeconds).toBeGreaterThan(1);
    expect(report.notes).toHaveLength(1);
    expect(report.notes[0]).toMatch(/ends early/);
    expect(report.notes[0]).toMatch(detail);
  });

  it("a cut FLAC is noted against its STREAMINFO length", async () => {
    const report = await analyze(cut("test/fixtures/audio/tone-220.flac", "cut.flac", 3_000));
    expect(report.notes[0]).toMatch(/ends early.*promises 2\.0 s/);
  });

  it("a whole file, or a streaming WAV whose data size is left open, gets no such note", async () => {
    const file = writeWav(directory, "open.wav", [sine(1, 16_000, 200, 0.3)], 16_000);
    const bytes = fs.readFileSync(file);
    bytes.writeUInt32LE(0xffffffff, 40);
    fs.writeFileSync(file, bytes);
    const endsEarly = (notes: string[]) => notes.filter((note) => /ends early/.test(note));
    expect(endsEarly((await analyze(file)).notes)).toEqual([]);
    expect(endsEarly((await analyze("test/fixtures/audio/tone-220.opus")).notes)).toEqual([]);
    expect(endsEarly((await analyze("test/fixtures/audio/tone-220.mp3")).notes)).toEqual([]);
  });
});

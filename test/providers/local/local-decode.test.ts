// Decoding without system binaries: WAV of every common sample format, MP3, FLAC, Ogg Vorbis
// and Ogg Opus fixtures, format sniffing by magic bytes, and clear errors.

import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile, DEFAULT_ANALYSIS_OPTIONS } from "../../../src/providers/local/local-analyze.js";
import { openAudioSource, sniffFile } from "../../../src/providers/local/local-decode.js";
import { AudioDecodeError } from "../../../src/providers/local/local-errors.js";
import { sniffFormat } from "../../../src/providers/local/local-format.js";
import { ANALYSIS_RATE, StreamingResampler } from "../../../src/providers/local/local-resample.js";
import { encodeWav } from "../../../src/providers/local/local-wav.js";
import { concat, harmonicStack, silence, sine, tempDir, writeWav } from "./signals.js";

const FIXTURES = "test/fixtures/audio";
const directory = tempDir();

async function decodeAll(file: string) {
  const source = await openAudioSource(file, path.basename(file));
  const pieces: Float32Array[][] = [];
  let rate = 0;
  for await (const chunk of source.chunks()) {
    pieces.push(chunk.channels);
    rate = chunk.sampleRate;
  }
  await source.close();
  const channels = pieces[0]!.map((_, channel) => concat(...pieces.map((piece) => piece[channel]!)));
  return { source, channels, rate };
}

describe("WAV", () => {
  const left = sine(0.5, 22_050, 440, 0.5);
  const right = sine(0.5, 22_050, 660, -0.25);
  it.each([
    [{ format: "pcm", bits: 8 }, 1 / 128],
    [{ format: "pcm", bits: 16 }, 1 / 32_768],
    [{ format: "pcm", bits: 24 }, 1 / 8_388_608],
    [{ format: "pcm", bits: 32 }, 1e-7],
    [{ format: "float", bits: 32 }, 1e-7],
    [{ format: "float", bits: 64 }, 1e-7],
  ] as const)("decodes %o stereo to the original samples", async (encoding, tolerance) => {
    const file = writeWav(directory, `wav-${encoding.format}-${encoding.bits}.wav`, [left, right], 22_050, encoding);
    const { source, channels, rate } = await decodeAll(file);
    expect(rate).toBe(22_050);
    expect(source.estimatedSeconds).toBeCloseTo(0.5, 5);
    expect(channels).toHaveLength(2);
    expect(channels[0]!.length).toBe(left.length);
    let worst = 0;
    for (let index = 0; index < left.length; index++) {
      worst = Math.max(worst, Math.abs(channels[0]![index]! - left[index]!), Math.abs(channels[1]![index]! - right[index]!));
    }
    expect(worst).toBeLessThanOrEqual(tolerance * 1.01);
  });

  it("finds the data chunk after other chunks (LIST) and handles an odd-sized chunk's pad byte", async () => {
    const plain = encodeWav([sine(0.2, 16_000, 300, 0.5)], 16_000);
    const list = new Uint8Array([...Buffer.from("LIST"), 3, 0, 0, 0, 65, 66, 67, 0]);
    const joined = new Uint8Array(plain.length + list.length);
    joined.set(plain.subarray(0, 36));
    joined.set(list, 36);
    joined.set(plain.subarray(36), 36 + list.length);
    const file = path.join(directory, "with-list.wav");
    fs.writeFileSync(file, joined);
    const { channels } = await decodeAll(file);
    expect(channels[0]!.length).toBe(3_200);
  });
});

describe("compressed formats (WebAssembly decoders)", () => {
  it.each([
    ["tone-220.mp3", "MP3", 44_100, 2],
    ["tone-220.flac", "FLAC", 16_000, 1],
    ["tone-220.ogg", "Ogg Vorbis", 44_100, 2],
    ["tone-220.opus", "Ogg Opus", 48_000, 2],
  ])("decodes %s (%s, %i Hz, %i ch) and finds its 1 s, 220 Hz tone", async (name, format, rate, channels) => {
    const report = await analyzeFile(path.join(FIXTURES, name), name, DEFAULT_ANALYSIS_OPTIONS);
    expect(report.format).toBe(format);
    expect(report.sampleRate).toBe(rate);
    expect(report.channels).toBe(channels);
    expect(report.durationSeconds).toBeGreaterThan(1.95);
    expect(report.durationSeconds).toBeLessThan(2.1);
    expect(report.segments).toHaveLength(1);
    expect(Math.abs(report.segments[0]!.start - 0.5)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(report.segments[0]!.end - 1.5)).toBeLessThanOrEqual(0.12);
    expect(Math.abs(report.pitch.medianHz! / 220 - 1)).toBeLessThanOrEqual(0.02);
    expect(report.damagedFrames).toBe(0);
  });

  it.each([
    ["tone-220.flac", 2],
    ["tone-220.ogg", 2],
    ["tone-220.opus", 2],
  ])("knows the length of %s from its headers before decoding (for progress)", async (name, seconds) => {
    const source = await openAudioSource(path.join(FIXTURES, name), name);
    await source.close();
    expect(source.estimatedSeconds).toBeCloseTo(seconds, 1);
  });
});

describe("format sniffing and errors", () => {
  const bytes = (text: string, extra: number[] = []) => new Uint8Array([...Buffer.from(text, "latin1"), ...extra, ...new Array(64).fill(0)]);

  it.each([
    [bytes("\0\0\0 ftypM4A "), "MP4/M4A"],
    [bytes("FORM\0\0\0\0AIFF"), "AIFF"],
    [new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0]), "Matroska/WebM"],
    [new Uint8Array([0xff, 0xf1, 0x50, 0x80, 0, 0]), "AAC (ADTS)"],
    [bytes("RF64"), "RF64"],
    [bytes("%PDF-1.4"), "PDF"],
    [new Uint8Array(Buffer.from("hello, this is text and not audio at all, promise")), "text"],
  ])("names what a non-decodable file is (%#)", (head, expected) => {
    const sniffed = sniffFormat(head);
    expect(sniffed.decodable).toBeUndefined();
    expect(sniffed.description).toContain(expected);
  });

  it("looks at the bytes, not the extension: an M4A named .wav is refused naming MP4", async () => {
    const file = path.join(directory, "actually-m4a.wav");
    fs.writeFileSync(file, bytes("\0\0\0 ftypM4A "));
    const error = await sniffFile(file, "actually-m4a.wav").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AudioDecodeError);
    expect((error as AudioDecodeError).code).toBe("unsupported_format");
    expect((error as Error).message).toMatch(/actually-m4a\.wav is MP4\/M4A.*cannot decode.*WAV.*MP3.*FLAC.*Ogg/);
  });

  it("accepts a decodable file whatever its extension (FLAC named .bin)", async () => {
    const file = path.join(directory, "tone.bin");
    fs.copyFileSync(path.join(FIXTURES, "tone-220.flac"), file);
    expect((await sniffFile(file, "tone.bin")).decodable).toBe("flac");
  });

  it("refuses an A-law WAV whose samples are not 8-bit, naming the encoding", async () => {
    const wav = encodeWav([sine(0.1, 8_000, 300, 0.5)], 8_000);
    new DataView(wav.buffer).setUint16(20, 6, true);
    const file = path.join(directory, "alaw.wav");
    fs.writeFileSync(file, wav);
    await expect(analyzeFile(file, "alaw.wav", DEFAULT_ANALYSIS_OPTIONS)).rejects.toThrow(/A-law/);
  });

  it("reports a truncated WAV header as damaged", async () => {
    const file = path.join(directory, "truncated.wav");
    fs.writeFileSync(file, encodeWav([sine(0.1, 8_000, 300, 0.5)], 8_000).subarray(0, 30));
    await expect(analyzeFile(file, "truncated.wav", DEFAULT_ANALYSIS_OPTIONS)).rejects.toThrow(/truncated\.wav.*(damaged|truncated)/);
  });

  it("reports an MP3 whose frames are garbage as undecodable", async () => {
    const garbage = new Uint8Array(20_000);
    for (let index = 0; index < garbage.length; index++) garbage[index] = (index * 7919) % 251;
    garbage.set([0xff, 0xfb, 0x90, 0x64], 0);
    const file = path.join(directory, "garbage.mp3");
    fs.writeFileSync(file, garbage);
    const error = await analyzeFile(file, "garbage.mp3", DEFAULT_ANALYSIS_OPTIONS).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AudioDecodeError);
    expect((error as Error).message).toMatch(/garbage\.mp3 looks like MP3 but/);
  });

  it("reports a missing file as unreadable", async () => {
    await expect(sniffFile(path.join(directory, "nope.wav"), "nope.wav")).rejects.toThrow(/nope\.wav could not be opened \(ENOENT\)/);
  });
});

describe("resampling to the analysis rate", () => {
  it.each([44_100, 48_000, 22_050, 8_000])("keeps frequency and timing when converting %i Hz to 16 kHz", (rate) => {
    const signal = concat(silence(0.5, rate), sine(1, rate, 1_000, 0.5), silence(0.5, rate));
    const resampler = new StreamingResampler(rate, ANALYSIS_RATE);
    const pieces: Float32Array[] = [];
    for (let offset = 0; offset < signal.length; offset += 3_001) pieces.push(resampler.push(signal.subarray(offset, offset + 3_001)));
    pieces.push(resampler.flush());
    const output = concat(...pieces);
    expect(Math.abs(output.length - 2 * ANALYSIS_RATE)).toBeLessThanOrEqual(1);
    // The tone starts at 0.5 s and ends at 1.5 s, with its amplitude and frequency intact.
    const at = (seconds: number) => output.subarray(Math.round(seconds * ANALYSIS_RATE), Math.round((seconds + 0.01) * ANALYSIS_RATE));
    const peak = (samples: Float32Array) => samples.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    expect(peak(at(0.4))).toBeLessThan(0.01);
    expect(peak(at(1))).toBeGreaterThan(0.48);
    expect(peak(at(1))).toBeLessThan(0.52);
    expect(peak(at(1.6))).toBeLessThan(0.01);
    let crossings = 0;
    const middle = output.subarray(Math.round(0.75 * ANALYSIS_RATE), Math.round(1.25 * ANALYSIS_RATE));
    for (let index = 1; index < middle.length; index++) if (middle[index - 1]! < 0 && middle[index]! >= 0) crossings++;
    expect(Math.abs(crossings - 500)).toBeLessThanOrEqual(1);
  });

  it("passes 16 kHz through untouched", () => {
    const input = harmonicStack(0.1, ANALYSIS_RATE, 200, 0.5);
    expect(new StreamingResampler(ANALYSIS_RATE, ANALYSIS_RATE).push(input)).toBe(input);
  });
});

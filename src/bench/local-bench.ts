// Benchmark of the local acoustic analyzer.
// 1. Accuracy on real recordings (test/fixtures/speech) against peers: Praat (voicing, F0,
//    de Jong & Wempe syllable nuclei), the WebRTC VAD, ffmpeg ebur128, and the transcripts.
// 2. Speed and peak memory on long inputs built from that real speech: a 16 kHz WAV and an
//    Ogg Opus stream (the committed clip's packets repeated), 1 h, 3 h and 10 h by default
//    (LOCAL_BENCH_HOURS=1,3 for fewer). The files are written in pieces to .bench/ (10 h: a
//    1.2 GB WAV and a 110 MB Opus), one length at a time, and deleted after their runs; a
//    length the disk has no room for is skipped, saying so. Each run is a fresh child process
//    analysing through the worker thread, so its peak RSS is the run's own; speed is audio
//    time over CPU time.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openAudioSource } from "../providers/local/local-decode.js";
import { evaluateCorpus, formatAccuracyTable, SPEECH_FIXTURES, type ClipAccuracy } from "./local-accuracy.js";
import { seededRandom } from "./seeded-random.js";

const RATE = 16_000;
/** Where the long inputs are written: .bench/ in the checkout (git-ignored). */
const BENCH_DIRECTORY = path.resolve(".bench");
const GOALS = { voicedHit: 0.9, falseVoiced: 0.05, f0Median: 0.05, syllables: 0.1, rssMb: 250, wavSpeed: 200, opusSpeed: 120 };

async function decodeMono(file: string): Promise<Float32Array> {
  const source = await openAudioSource(file, path.basename(file));
  const pieces: Float32Array[] = [];
  for await (const chunk of source.chunks()) pieces.push(chunk.channels[0]!.slice());
  await source.close();
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const samples = new Float32Array(total);
  let offset = 0;
  for (const piece of pieces) samples.set(piece, (offset += piece.length) - piece.length);
  return samples;
}

/** Writes `seconds` of the corpus's 16 kHz speech clips, in random order with pauses and a faint room noise, as a 16-bit WAV. */
export async function writeSpeechWav(file: string, seconds: number): Promise<void> {
  const names = ["librivox-0870.wav", "librivox-0880.wav", "librivox-0890.wav", "librivox-0920.wav", "librivox-0930.wav", "cards-002.wav", "cards-005.wav", "goforward.wav"];
  const clips = await Promise.all(names.map((name) => decodeMono(path.join(SPEECH_FIXTURES, name))));
  const random = seededRandom(11);
  const total = Math.round(seconds * RATE);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(36 + total * 2, 4);
  header.write("WAVEfmt ", 8, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(total * 2, 40);
  const descriptor = fs.openSync(file, "w");
  fs.writeSync(descriptor, header);
  let written = 0;
  while (written < total) {
    const clip = clips[Math.floor(random() * clips.length)]!;
    const pause = Math.round((0.2 + random() * 1.2) * RATE);
    const length = Math.min(total - written, clip.length + pause);
    const chunk = Buffer.alloc(length * 2);
    for (let index = 0; index < length; index++) {
      const sample = (index < clip.length ? clip[index]! : 0) + 0.0003 * (random() * 2 - 1);
      chunk.writeInt16LE(Math.max(-32_768, Math.min(32_767, Math.round(sample * 32_767))), index * 2);
    }
    fs.writeSync(descriptor, chunk);
    written += length;
  }
  fs.closeSync(descriptor);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let index = 0; index < 256; index++) {
    let crc = index << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    table[index] = crc >>> 0;
  }
  return table;
})();

function oggCrc(page: Uint8Array): number {
  let crc = 0;
  for (const byte of page) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

/** The packets of an Ogg stream, in order (lacing across pages joined). */
function oggPackets(bytes: Uint8Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let pending: number[] = [];
  for (let position = 0; position + 27 <= bytes.length; ) {
    const segments = bytes[position + 26]!;
    let body = position + 27 + segments;
    for (let segment = 0; segment < segments; segment++) {
      const size = bytes[position + 27 + segment]!;
      pending.push(...bytes.subarray(body, body + size));
      body += size;
      if (size < 255) {
        packets.push(Uint8Array.from(pending));
        pending = [];
      }
    }
    position = body;
  }
  return packets;
}

/** Samples at 48 kHz in one Opus packet, from its TOC byte (RFC 6716 §3.1). */
function opusPacketSamples(packet: Uint8Array): number {
  const config = packet[0]! >> 3;
  const frame = config < 12 ? [480, 960, 1920, 2880][config % 4]! : config < 16 ? [480, 960][config % 2]! : [120, 240, 480, 960][config % 4]!;
  const code = packet[0]! & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : packet[1]! & 0x3f;
  return frame * frames;
}

/** Writes an Ogg Opus stream of about `seconds`, repeating the audio packets of `source`. */
export function writeRepeatedOpus(source: string, file: string, seconds: number): void {
  const packets = oggPackets(fs.readFileSync(source));
  const [head, tags, ...audio] = packets as [Uint8Array, Uint8Array, ...Uint8Array[]];
  const preSkip = head[10]! | (head[11]! << 8);
  const serial = 0x5eed;
  const descriptor = fs.openSync(file, "w");
  let sequence = 0;
  const writePage = (pagePackets: Uint8Array[], granule: number, flags: number) => {
    const lacing: number[] = [];
    for (const packet of pagePackets) {
      for (let left = packet.length; ; left -= 255) {
        lacing.push(Math.min(255, left));
        if (left < 255) break;
      }
    }
    const bodyLength = pagePackets.reduce((sum, packet) => sum + packet.length, 0);
    const page = new Uint8Array(27 + lacing.length + bodyLength);
    const view = new DataView(page.buffer);
    page.set([0x4f, 0x67, 0x67, 0x53, 0, flags]);
    view.setUint32(6, granule % 2 ** 32, true);
    view.setUint32(10, Math.floor(granule / 2 ** 32), true);
    view.setUint32(14, serial, true);
    view.setUint32(18, sequence++, true);
    page[26] = lacing.length;
    page.set(lacing, 27);
    let offset = 27 + lacing.length;
    for (const packet of pagePackets) {
      page.set(packet, offset);
      offset += packet.length;
    }
    view.setUint32(22, oggCrc(page), true);
    fs.writeSync(descriptor, page);
  };
  writePage([head], 0, 0x02);
  writePage([tags], 0, 0);
  const target = seconds * 48_000;
  let samples = 0;
  let page: Uint8Array[] = [];
  let segments = 0;
  for (let index = 0; samples < target; index = (index + 1) % audio.length) {
    const packet = audio[index]!;
    const needed = Math.floor(packet.length / 255) + 1;
    if (segments + needed > 255) {
      writePage(page, preSkip + samples, 0);
      page = [];
      segments = 0;
    }
    page.push(packet);
    segments += needed;
    samples += opusPacketSamples(packet);
  }
  writePage(page, preSkip + samples, 0x04);
  fs.closeSync(descriptor);
}

interface RunFigures {
  durationSeconds: number;
  cpuSeconds: number;
  wallSeconds: number;
  maxRssMb: number;
  progressMessages: number;
  progressMonotonic: boolean;
  lastProgressShare: number;
  speechRatio: number;
  f0MedianHz: number | null;
  syllables: number;
}

function runChild(file: string): RunFigures {
  const child = fileURLToPath(new URL("./local-bench-child.js", import.meta.url));
  const output = execFileSync(process.execPath, [child, file], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(output.trim().split("\n").pop()!) as RunFigures;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const met = (ok: boolean) => (ok ? "met" : "NOT met");

function accuracyGoals(results: ClipAccuracy[]): string[] {
  const voiced = results.filter((result) => result.voicing);
  const hit = Math.min(...voiced.map((result) => result.voicing!.hitRate));
  const falseVoiced = Math.max(...voiced.map((result) => result.voicing!.falseVoicedRate));
  const f0Errors = voiced
    .filter((result) => result.voicing!.praatVoicedSeconds >= 1)
    .map((result) => Math.abs(result.voicing!.f0MedianOurs! / result.voicing!.f0MedianPraat! - 1));
  const withSyllables = results.filter((result) => result.syllables);
  const ours = withSyllables.reduce((sum, result) => sum + result.syllables!.ours, 0);
  const text = withSyllables.reduce((sum, result) => sum + result.syllables!.fromText, 0);
  const praat = withSyllables.reduce((sum, result) => sum + result.syllables!.praat, 0);
  const vad = voiced.map((result) => result.vadAgreement![2]!);
  return [
    `voicing: worst clip finds ${percent(hit)} of Praat's voiced frames (goal ≥ ${percent(GOALS.voicedHit)}: ${met(hit >= GOALS.voicedHit)}); worst false-voiced ${percent(falseVoiced)} (goal ≤ ${percent(GOALS.falseVoiced)}: ${met(falseVoiced <= GOALS.falseVoiced)})`,
    `F0 median: worst ${percent(Math.max(...f0Errors))} from Praat over ${f0Errors.length} clips with ≥ 1 s voiced (goal ≤ ${percent(GOALS.f0Median)}: ${met(Math.max(...f0Errors) <= GOALS.f0Median)})`,
    `syllables: ${ours} found vs ${text} in the transcripts (${percent(ours / text - 1)}; goal within ${percent(GOALS.syllables)}: ${met(Math.abs(ours / text - 1) <= GOALS.syllables)}); Praat de Jong & Wempe: ${praat}`,
    `speech/pause vs WebRTC VAD (mode 2): mean ${percent(vad.reduce((sum, value) => sum + value, 0) / vad.length)} of 10 ms frames agree, worst clip ${percent(Math.min(...vad))}`,
  ];
}

export async function run(): Promise<void> {
  console.log("accuracy on real recordings (test/fixtures/speech) against peers:");
  const results = await evaluateCorpus();
  console.log(formatAccuracyTable(results));
  for (const line of accuracyGoals(results)) console.log(`  ${line}`);

  const hours = (process.env.LOCAL_BENCH_HOURS ?? "1,3,10").split(",").map(Number).filter((value) => value > 0);
  fs.mkdirSync(BENCH_DIRECTORY, { recursive: true });
  const directory = fs.mkdtempSync(path.join(BENCH_DIRECTORY, "local-"));
  const peaks: Array<{ label: string; rssMb: number; speed: number; goal: number }> = [];
  try {
    console.log(`\nspeed and memory on long real-speech input (fresh process each, analysed through the worker thread; files in ${path.relative(process.cwd(), directory) || directory}):`);
    for (const hour of hours) {
      const seconds = hour * 3_600;
      const wav = path.join(directory, `speech-${hour}h.wav`);
      const opus = path.join(directory, `speech-${hour}h.opus`);
      // A 16-bit mono 16 kHz WAV and the Opus stream (well under 64 kb/s), with 10% to spare.
      const neededBytes = seconds * (RATE * 2 + 8_000) * 1.1;
      const freeBytes = Number(fs.statfsSync(directory).bavail) * Number(fs.statfsSync(directory).bsize);
      if (freeBytes < neededBytes) {
        console.log(`  ${hour} h: skipped, ${(neededBytes / 1024 ** 3).toFixed(1)} GB needed for its files but ${(freeBytes / 1024 ** 3).toFixed(1)} GB free`);
        continue;
      }
      try {
        await writeSpeechWav(wav, seconds);
        writeRepeatedOpus(path.join(SPEECH_FIXTURES, "librivox-0920.opus"), opus, seconds);
        for (const [kind, file, goal] of [["WAV 16 kHz", wav, GOALS.wavSpeed], ["Ogg Opus", opus, GOALS.opusSpeed]] as const) {
          const figures = runChild(file);
          const speed = figures.durationSeconds / figures.cpuSeconds;
          peaks.push({ label: `${hour} h ${kind}`, rssMb: figures.maxRssMb, speed, goal });
          console.log(
            `  ${hour} h ${kind} (${(fs.statSync(file).size / 1024 / 1024).toFixed(0)} MB): ${figures.cpuSeconds.toFixed(1)} s CPU → ${speed.toFixed(0)}× real time on one core (goal ≥ ${goal}×: ${met(speed >= goal)}); ` +
              `wall ${figures.wallSeconds.toFixed(1)} s; peak RSS ${figures.maxRssMb.toFixed(0)} MB (goal ≤ ${GOALS.rssMb} MB: ${met(figures.maxRssMb <= GOALS.rssMb)}); ` +
              `${figures.progressMessages} progress messages, ${figures.progressMonotonic ? "monotonic" : "NOT monotonic"}, last at ${percent(figures.lastProgressShare)}; ` +
              `speech ${percent(figures.speechRatio)}, F0 median ${figures.f0MedianHz} Hz, ${figures.syllables} syllables`,
          );
        }
      } finally {
        fs.rmSync(wav, { force: true });
        fs.rmSync(opus, { force: true });
      }
    }
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
  if (peaks.length > 0) {
    const highest = peaks.reduce((top, run) => (run.rssMb > top.rssMb ? run : top));
    const slowest = peaks.reduce((low, run) => (run.speed / run.goal < low.speed / low.goal ? run : low));
    console.log(
      `  peak RSS over every length and format: ${highest.rssMb.toFixed(0)} MB (${highest.label}; goal ≤ ${GOALS.rssMb} MB for any length: ${met(peaks.every((run) => run.rssMb <= GOALS.rssMb))}); ` +
        `speed goals: ${met(peaks.every((run) => run.speed >= run.goal))} (closest: ${slowest.label} at ${slowest.speed.toFixed(0)}×, goal ${slowest.goal}×)`,
    );
  }
}

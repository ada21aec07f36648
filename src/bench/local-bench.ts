// Benchmark of the local acoustic analyzer: one hour of 16 kHz mono speech-like audio
// (gliding harmonic "voices" with syllable-rate amplitude modulation, noise bursts, pauses),
// analysed in-process and through the worker. Prints real-time factor and peak memory.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { analyzeFile, DEFAULT_ANALYSIS_OPTIONS } from "../providers/local/local-analyze.js";
import { startAnalysisWorker } from "../providers/local/local-worker-runner.js";
import { seededRandom } from "./seeded-random.js";

const RATE = 16_000;

/** A few seconds of one "voice": sawtooth with an F0 glide, 3–6 Hz syllable envelope, a fricative burst. */
function utterance(random: () => number): Float32Array {
  const seconds = 1 + random() * 4;
  const samples = new Float32Array(Math.round(seconds * RATE));
  const baseF0 = 90 + random() * 160;
  const glide = (random() - 0.5) * 0.4;
  const syllableHz = 3 + random() * 3;
  const level = 0.05 + random() * 0.25;
  let phase = 0;
  for (let index = 0; index < samples.length; index++) {
    const time = index / RATE;
    const f0 = baseF0 * (1 + glide * (time / seconds));
    phase += f0 / RATE;
    phase -= Math.floor(phase);
    const envelope = 0.55 - 0.45 * Math.cos(2 * Math.PI * syllableHz * time);
    samples[index] = level * envelope * (2 * phase - 1);
  }
  const burstStart = Math.floor(random() * Math.max(1, samples.length - 2_400));
  for (let index = burstStart; index < Math.min(samples.length, burstStart + 2_400); index++) samples[index]! += level * 0.5 * (random() * 2 - 1);
  return samples;
}

/** Writes `seconds` of speech-like audio as a 16-bit WAV, streaming (no whole-file buffer). */
function writeSpeechLikeWav(file: string, seconds: number): void {
  const random = seededRandom(42);
  const bank = Array.from({ length: 24 }, () => utterance(random));
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
    const voice = bank[Math.floor(random() * bank.length)]!;
    const pause = Math.round((0.2 + random() * 1.3) * RATE);
    const length = Math.min(total - written, voice.length + pause);
    const chunk = Buffer.alloc(length * 2);
    for (let index = 0; index < length; index++) {
      const sample = (index < voice.length ? voice[index]! : 0) + 0.0005 * (random() * 2 - 1);
      chunk.writeInt16LE(Math.max(-32_768, Math.min(32_767, Math.round(sample * 32_767))), index * 2);
    }
    fs.writeSync(descriptor, chunk);
    written += length;
  }
  fs.closeSync(descriptor);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

export async function run(): Promise<void> {
  const seconds = Number(process.env.LOCAL_BENCH_SECONDS ?? 3_600);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-local-bench-"));
  const file = path.join(directory, "speech-like.wav");
  try {
    let started = performance.now();
    writeSpeechLikeWav(file, seconds);
    console.log(`generated ${(seconds / 60).toFixed(0)} min of 16 kHz mono speech-like audio (${megabytes(fs.statSync(file).size)}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
    started = performance.now();
    const report = await analyzeFile(file, "speech-like.wav", DEFAULT_ANALYSIS_OPTIONS);
    const inProcess = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    console.log(`in-process: ${inProcess.toFixed(1)} s → ${(seconds / inProcess).toFixed(0)}× real time (one core)`);
    console.log(`  ${report.speech.segmentCount} speech segments, speech ${(report.speech.ratio * 100).toFixed(1)}%, ${report.speech.pauses.count} pauses, F0 median ${report.pitch.medianHz} Hz, ${report.rate.syllables} syllable nuclei, ${report.loudness.integratedLufs} LUFS`);
    console.log(`  memory: RSS ${megabytes(rssBefore)} before, peak ${megabytes(peakRss)} sampled; process maxRSS ${megabytes(process.resourceUsage().maxRSS * 1024)}`);

    started = performance.now();
    let progressMessages = 0;
    const worker = startAnalysisWorker({ files: [{ path: file, name: "speech-like.wav" }], options: DEFAULT_ANALYSIS_OPTIONS }, () => progressMessages++);
    // The event loop stays free while the worker runs: count timer ticks meanwhile.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    await worker.result;
    clearInterval(ticker);
    const inWorker = (performance.now() - started) / 1000;
    console.log(`worker thread: ${inWorker.toFixed(1)} s → ${(seconds / inWorker).toFixed(0)}× real time; ${progressMessages} progress messages; main loop ticked ${ticks}× (10 ms timer) meanwhile`);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

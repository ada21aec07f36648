// Files swapped after a job was accepted: a FIFO (which would block the open forever), a
// device, a symlink to a file outside the allowed directories, a directory swapped for a link.
// What is opened is checked, not the name. And every analysis has a deadline.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Job, JobSnapshot } from "../../../src/jobs/job.js";
import type { ProviderAdapter } from "../../../src/providers/provider.js";
import { createLocalAdapter, defaultAnalysisDeadlineMs } from "../../../src/providers/local/local-adapter.js";
import { openAudioSource, sniffFile } from "../../../src/providers/local/local-decode.js";
import { jobFromSnapshot } from "../../support/adapter-deps.js";
import { fakeDeps } from "./fake-deps.js";
import { concat, harmonicStack, silence, tempDir, writeWav } from "./signals.js";

const RATE = 16_000;
const adapters: ProviderAdapter[] = [];
afterEach(async () => {
  await Promise.all(adapters.splice(0).map((adapter) => adapter.close?.()));
});

function speech(directory: string, name: string, seconds: number): string {
  const pattern = concat(harmonicStack(2, RATE, 150, 0.3, { amHz: 4 }), silence(1, RATE));
  const repeats = Math.ceil(seconds / 3);
  const signal = new Float32Array(pattern.length * repeats);
  for (let index = 0; index < repeats; index++) signal.set(pattern, index * pattern.length);
  return writeWav(directory, name, [signal], RATE);
}

function pathInput(file: string) {
  return { kind: "path" as const, path: file, name: path.basename(file), bytes: fs.statSync(file).size };
}

const ended = (snapshot: JobSnapshot) => ["succeeded", "failed", "canceled"].includes(snapshot.status);

async function waitEnded(adapter: ProviderAdapter, nativeId: string, job?: Job): Promise<JobSnapshot> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const snapshot = await adapter.get(nativeId, job, {});
    if (ended(snapshot)) return snapshot;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${nativeId} never ended`);
}

function newAdapter(options: Parameters<typeof createLocalAdapter>[1] = { maxConcurrent: 1 }) {
  const adapter = createLocalAdapter(fakeDeps(), options);
  adapters.push(adapter);
  return adapter;
}

describe("opening media: what is opened is checked, not the name", () => {
  it("refuses a FIFO at once instead of blocking on it", async () => {
    const directory = tempDir();
    const fifo = path.join(directory, "pipe.wav");
    execFileSync("mkfifo", [fifo]);
    // Without O_NONBLOCK this open waits for a writer that never comes.
    await expect(sniffFile(fifo, "pipe.wav")).rejects.toThrow("pipe.wav is not a regular file (a named pipe)");
    await expect(openAudioSource(fifo, "pipe.wav")).rejects.toThrow(/not a regular file/);
  }, 10_000);

  it("refuses a device and a directory", async () => {
    await expect(sniffFile("/dev/zero", "zero.wav")).rejects.toThrow("zero.wav is not a regular file (a device)");
    await expect(sniffFile(tempDir(), "dir.wav")).rejects.toThrow("dir.wav is not a regular file (a directory)");
  });

  it("refuses a file swapped for a symlink, and a directory swapped for a link, to a file elsewhere", async () => {
    const allowed = tempDir();
    const outside = tempDir();
    const secret = speech(outside, "secret.wav", 3);
    const file = speech(allowed, "take.wav", 3);
    fs.rmSync(file);
    fs.symlinkSync(secret, file);
    await expect(sniffFile(file, "take.wav")).rejects.toThrow("take.wav is now a symbolic link");

    const subdir = path.join(allowed, "sub");
    fs.mkdirSync(subdir);
    const nested = speech(subdir, "secret.wav", 3);
    await expect(sniffFile(nested, "secret.wav")).resolves.toMatchObject({ decodable: "wav" });
    fs.rmSync(subdir, { recursive: true });
    fs.symlinkSync(outside, subdir);
    await expect(sniffFile(nested, "secret.wav")).rejects.toThrow("secret.wav was moved or replaced through a link");
  });
});

describe("local jobs whose file is swapped after start", () => {
  it("fails a queued job whose file became a symlink to a file outside, also when resumed after a restart", async () => {
    const allowed = tempDir();
    const outside = tempDir();
    const secret = speech(outside, "secret.wav", 6);
    const blocker = speech(allowed, "first.wav", 60);
    const target = speech(allowed, "second.wav", 6);
    const adapter = newAdapter();
    // One analysis at a time: the second job waits behind the first, and is swapped meanwhile.
    await adapter.start({ task: "acoustic", media: [pathInput(blocker)], options: {} }, {});
    const queued = await adapter.start({ task: "acoustic", media: [pathInput(target)], options: {} }, {});
    expect(queued.status).toBe("queued");
    fs.rmSync(target);
    fs.symlinkSync(secret, target);
    const failed = await waitEnded(adapter, queued.nativeId);
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toContain("second.wav is now a symbolic link");

    // After a restart the job starts over from its stored path: the same check applies.
    const stored = jobFromSnapshot("local", "acoustic", { ...queued, status: "running" });
    const resumed = await waitEnded(newAdapter(), queued.nativeId, stored);
    expect(resumed.status).toBe("failed");
    expect(resumed.error?.message).toContain("symbolic link");
  });

  it("fails a job whose file became a FIFO, and the next job still runs", async () => {
    const allowed = tempDir();
    const file = speech(allowed, "take.wav", 3);
    const next = speech(allowed, "next.wav", 3);
    const adapter = newAdapter();
    const stored = jobFromSnapshot("local", "acoustic", { nativeId: "0000fifo0000", status: "running", inputs: [pathInput(file)] });
    fs.rmSync(file);
    execFileSync("mkfifo", [file]);
    const failed = await waitEnded(adapter, "0000fifo0000", stored);
    expect(failed.status).toBe("failed");
    expect(failed.error?.message).toContain("not a regular file (a named pipe)");
    const started = await adapter.start({ task: "acoustic", media: [pathInput(next)], options: {} }, {});
    expect((await waitEnded(adapter, started.nativeId)).status).toBe("succeeded");
  }, 30_000);
});

describe("analysis deadline", () => {
  it("scales with the audio and stops at the configured cap", () => {
    expect(defaultAnalysisDeadlineMs(undefined, 3_600_000)).toBe(60_000);
    expect(defaultAnalysisDeadlineMs(3_600, 3_600_000)).toBe(60_000 + 360_000);
    expect(defaultAnalysisDeadlineMs(100 * 3_600, 3_600_000)).toBe(3_600_000);
  });

  it("stops an analysis that passes its deadline, fails the job naming it, and frees the slot", async () => {
    const allowed = tempDir();
    const long = speech(allowed, "long.wav", 600);
    const short = speech(allowed, "short.wav", 3);
    // Ten minutes of audio get 300 ms (once the worker has measured them); anything else the default.
    const adapter = newAdapter({ maxConcurrent: 1, deadlineMs: (seconds) => ((seconds ?? 0) > 100 ? 300 : defaultAnalysisDeadlineMs(seconds, 3_600_000)) });
    const started = await adapter.start({ task: "acoustic", media: [pathInput(long)], options: {} }, {});
    const failed = await waitEnded(adapter, started.nativeId);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ code: "analysis_timeout" });
    expect(failed.error?.message).toMatch(/stopped at its deadline of 0\.3 s/);
    const next = await adapter.start({ task: "acoustic", media: [pathInput(short)], options: {} }, {});
    expect((await waitEnded(adapter, next.nativeId)).status).toBe("succeeded");
  }, 30_000);
});

/** A WAV whose header states `dataBytes` of PCM, made sparse so it takes no disk. */
function sparseWav(directory: string, name: string, rate: number, bits: 8 | 16, dataBytes: number): string {
  const header = Buffer.alloc(44);
  const blockAlign = bits / 8;
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(bits, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  const file = path.join(directory, name);
  fs.writeFileSync(file, header);
  fs.truncateSync(file, 44 + dataBytes);
  return file;
}

describe("files longer than the analyzer can hold in memory", () => {
  it("refuses at start_job, from the header, a sparse 4 GB WAV (35 h) and a 90 MB 8-bit 1 kHz WAV (25 h)", async () => {
    const directory = tempDir();
    const sparse = sparseWav(directory, "silence.wav", 16_000, 16, 4_000_000_000);
    const lowRate = sparseWav(directory, "lofi.wav", 1_000, 8, 90_000_000);
    const adapter = newAdapter();
    await expect(adapter.start({ task: "acoustic", media: [pathInput(sparse)], options: {} }, {})).rejects.toThrow(
      /silence\.wav is 35 h of audio, over the local analyzer's limit of 20 h \(MEDIA_JOBS_MAX_ANALYSIS_HOURS\): it needs about 170 MB plus 4 MB per hour of audio, so about 309 MB/,
    );
    await expect(adapter.start({ task: "acoustic", media: [pathInput(lowRate)], options: {} }, {})).rejects.toThrow(/lofi\.wav is 25 h of audio/);
  });

  it("stops decoding a compressed file at the limit, whatever its header says", async () => {
    const directory = tempDir();
    const ogg = path.join(directory, "sample.ogg");
    fs.copyFileSync(path.resolve("assets/sample/sample.ogg"), ogg);
    const adapter = newAdapter({ maxConcurrent: 1, maxAudioSeconds: 2 });
    const started = await adapter.start({ task: "acoustic", media: [pathInput(ogg)], options: {} }, {});
    const failed = await waitEnded(adapter, started.nativeId);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ code: "too_long" });
    expect(failed.error?.message).toMatch(/^sample\.ogg is \d+\.\d h of audio, over the local analyzer's limit of 0\.0 h/);
  });

  it("refuses it in the worker too, for a job resumed from its stored inputs (or a download)", async () => {
    const directory = tempDir();
    const sparse = sparseWav(directory, "silence.wav", 16_000, 16, 4_000_000_000);
    const stored = jobFromSnapshot("local", "acoustic", { nativeId: "0000long0000", status: "running", inputs: [pathInput(sparse)] });
    const failed = await waitEnded(newAdapter(), "0000long0000", stored);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ code: "too_long" });
    expect(failed.error?.message).toContain("over the local analyzer's limit of 20 h");
  });
});

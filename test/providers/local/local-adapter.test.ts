// The local adapter end to end, as the core drives it: start → get until succeeded →
// fetchResults → condense; cancellation; restart from stored inputs; URL inputs through the
// downloader; unsupported and corrupted files.

import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UserInputError } from "../../../src/errors.js";
import type { Job, JobSnapshot } from "../../../src/jobs/job.js";
import type { ProviderAdapter } from "../../../src/providers/provider.js";
import { createLocalAdapter, newLocalNativeId } from "../../../src/providers/local/local-adapter.js";
import type { LocalIndex, LocalReport } from "../../../src/providers/local/local-report.js";
import { jobFromSnapshot } from "../../support/adapter-deps.js";
import { fakeDeps, fakeSink } from "./fake-deps.js";
import { concat, harmonicStack, mixInto, noise, silence, tempDir, writeWav } from "./signals.js";

const RATE = 16_000;
const directory = tempDir();
const adapters: ProviderAdapter[] = [];
afterEach(async () => {
  await Promise.all(adapters.splice(0).map((adapter) => adapter.close?.()));
});

function newAdapter(urls: Record<string, string> = {}) {
  const deps = fakeDeps(urls);
  const adapter = createLocalAdapter(deps, { maxConcurrent: 2 });
  adapters.push(adapter);
  return { adapter, deps };
}

/** Two voices (120 Hz, 220 Hz) with a 1.5 s pause: 0.5–2.5 and 4.0–6.0 s of 7 s. */
function twoVoices(name: string): string {
  const signal = concat(silence(0.5, RATE), harmonicStack(2, RATE, 120, 0.3), silence(1.5, RATE), harmonicStack(2, RATE, 220, 0.3, { amHz: 4 }), silence(1, RATE));
  mixInto(signal, noise(7, RATE, 0.001, 5));
  return writeWav(directory, name, [signal], RATE);
}

/** Minutes of speech-like audio: long enough to cancel while it runs. */
function longFile(name: string, minutes: number): string {
  const pattern = concat(harmonicStack(2, RATE, 150, 0.3, { amHz: 4 }), silence(1, RATE));
  const repeats = Math.ceil((minutes * 60) / 3);
  const signal = new Float32Array(pattern.length * repeats);
  for (let index = 0; index < repeats; index++) signal.set(pattern, index * pattern.length);
  return writeWav(directory, name, [signal], RATE);
}

function pathInput(file: string) {
  return { kind: "path" as const, path: file, name: path.basename(file), bytes: fs.statSync(file).size };
}

async function waitFor(adapter: ProviderAdapter, nativeId: string, job: Job | undefined, done: (snapshot: JobSnapshot) => boolean): Promise<JobSnapshot[]> {
  const seen: JobSnapshot[] = [];
  for (let attempt = 0; attempt < 600; attempt++) {
    const snapshot = await adapter.get(nativeId, job, {});
    seen.push(snapshot);
    if (done(snapshot)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${nativeId} never reached the expected state; last: ${JSON.stringify(seen.at(-1))}`);
}

const ended = (snapshot: JobSnapshot) => ["succeeded", "failed", "canceled"].includes(snapshot.status);

const jobFrom = (snapshot: JobSnapshot, options: Record<string, unknown> = {}): Job => jobFromSnapshot("local", "acoustic", snapshot, { options });

describe("local adapter", () => {
  it("describes itself: configured, acoustic task, path and url inputs, cancelable", () => {
    const info = newAdapter().adapter.describe();
    expect(info.configured).toBe(true);
    expect(info.canCancel).toBe(true);
    expect(info.tasks[0]).toMatchObject({ task: "acoustic", inputs: ["path", "url"], views: ["summary", "segments"], filters: ["file", "start_s", "end_s"] });
    expect(info.tasks[0]!.options.join(" ")).toContain("vad_sensitivity");
  });

  it("analyses two files end to end and condenses the result", async () => {
    const { adapter } = newAdapter();
    const first = twoVoices("interview.wav");
    const second = twoVoices("second-take.wav");
    const started = await adapter.start({ task: "acoustic", media: [pathInput(first), pathInput(second)], options: { vad_sensitivity: 0.5 } }, {});
    expect(["queued", "running"]).toContain(started.status);
    const seen = await waitFor(adapter, started.nativeId, undefined, ended);
    const final = seen.at(-1)!;
    expect(final.status).toBe("succeeded");
    expect(final.progress).toEqual({ done: 14, total: 14, unit: "seconds" });

    const job = { ...jobFrom(final), status: "succeeded" as const };
    const sink = fakeSink();
    const fetched = await adapter.fetchResults(job, sink, {});
    const report = JSON.parse(sink.parts.get("report.json")!.data) as LocalReport;
    expect(sink.parts.get("report.json")!.contentType).toBe("application/json");
    expect(report.files.map((file) => file.name)).toEqual(["interview.wav", "second-take.wav"]);
    expect(report.files[0]!.timelines.f0.length).toBeGreaterThan(10);
    expect(fetched.description).toBe("2 files, 0:14.0 of audio, 4 speech segments");
    const index = fetched.index as LocalIndex;
    expect(JSON.stringify(index)).not.toContain("timelines");

    const view = adapter.condense({ job, index, query: { top_k: 5 } });
    expect(view.about[0]).toBe("Local acoustic analysis of 2 files, 0:14.0 of audio");
    expect(view.about[1]).toBe("[0] interview.wav: WAV PCM 16-bit, 0:07.0, 16000 Hz, mono");
    expect(view.summary[0]).toMatch(/^\[0\] Speech 5\d\.\d% of 0:07\.0 \(0:04\.\d in 2 segments\); 1 pause, mean 1\.\d\d s, longest 1\.\d\d s$/);
    expect(view.summary.join("\n")).toMatch(/LUFS integrated, LRA .* LU, sample peak .* dBFS, true peak .* dBTP, no clipping/);
    expect(view.summary.join("\n")).toMatch(/Pitch \(F0\) median (120|220) Hz, 10–90% 120 Hz–220 Hz, variability \d\.\d semitones/);
    expect(view.sections).toHaveLength(2);
    const rows = view.sections[0]!.rows;
    expect(rows).toHaveLength(3);
    // The first voice is a steady tone: no syllable nuclei, so no rate (not "0.0 syl/s").
    expect(rows[0]).toMatch(/^0:00\.[4-6]–0:02\.[4-6] speech 2\.\d s {2}F0 120 Hz {2}-\d+ dBFS$/);
    expect(rows[1]).toMatch(/^0:02\.\d–0:0[34]\.\d pause 1\.\d s$/);
    expect(rows[2]).toMatch(/^0:0[34]\.\d–0:0[56]\.\d speech 2\.\d s {2}F0 220 Hz {2}\d+\.\d syl\/s {2}-\d+ dBFS$/);

    const windowed = adapter.condense({ job, index, query: { top_k: 5, file: "second-take.wav", start_s: 3, end_s: 7 } });
    expect(windowed.sections).toHaveLength(1);
    expect(windowed.sections[0]!.heading).toContain("second-take.wav");
    expect(windowed.sections[0]!.rows).toHaveLength(2);
    expect(windowed.notes!.join("\n")).toMatch(/window 0:03\.0–0:07\.0/);
    expect(windowed.notes!.join("\n")).toMatch(/file second-take\.wav: showing 1 of 2/);

    const byIndex = adapter.condense({ job, index, query: { top_k: 5, file: "0", view: "segments" } });
    expect(byIndex.sections[0]!.heading).toContain("interview.wav — speech segments");
    expect(byIndex.sections[0]!.rows).toHaveLength(2);
    expect(byIndex.sections[0]!.rows[0]).toMatch(/F0 120 Hz \(1[12]\d Hz–1[12]\d Hz\) {2}voiced \d+\.\d%/);
  });

  it("refuses bad options and non-audio inputs with messages that say how to fix the call", async () => {
    const { adapter } = newAdapter();
    const file = twoVoices("ok.wav");
    await expect(adapter.start({ task: "acoustic", media: [pathInput(file)], options: { vad_sensitivity: 3 } }, {})).rejects.toThrow(
      /local acoustic options: vad_sensitivity: .*Accepted: vad_sensitivity/,
    );
    await expect(adapter.start({ task: "acoustic", media: [pathInput(file)], options: { speed: 2 } }, {})).rejects.toThrow(/unknown option "speed"/);
    await expect(adapter.start({ task: "acoustic", media: [{ kind: "text", text: "hi" }], options: {} }, {})).rejects.toThrow(/\{path\} or \{url\}/);
  });

  it("refuses an unsupported file at start, naming its real format", async () => {
    const { adapter } = newAdapter();
    const file = path.join(directory, "voice-memo.mp3");
    fs.writeFileSync(file, Buffer.concat([Buffer.from("\0\0\0\x20ftypM4A \0\0\0\0", "latin1"), Buffer.alloc(200)]));
    const error = await adapter.start({ task: "acoustic", media: [pathInput(file)], options: {} }, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as Error).message).toMatch(/voice-memo\.mp3 is MP4\/M4A container .*cannot decode; it reads WAV/);
  });

  it("downloads url inputs through the downloader, fails an unsupported download naming the format, and cleans up", async () => {
    const m4a = path.join(directory, "podcast.bin");
    fs.writeFileSync(m4a, Buffer.concat([Buffer.from("\0\0\0\x20ftypM4A ", "latin1"), Buffer.alloc(200)]));
    const { adapter, deps } = newAdapter({
      "https://media.example/talk.wav": twoVoices("talk-source.wav"),
      "https://media.example/podcast.m4a": m4a,
    });
    const good = await adapter.start({ task: "acoustic", media: [{ kind: "url", url: "https://media.example/talk.wav" }], options: {} }, {});
    const goodFinal = (await waitFor(adapter, good.nativeId, undefined, ended)).at(-1)!;
    expect(goodFinal.status).toBe("succeeded");
    const sink = fakeSink();
    const fetched = await adapter.fetchResults({ ...jobFrom(goodFinal), status: "succeeded" }, sink, {});
    expect((fetched.index as LocalIndex).files[0]!.name).toBe("talk.wav");

    const bad = await adapter.start({ task: "acoustic", media: [{ kind: "url", url: "https://media.example/podcast.m4a" }], options: {} }, {});
    const badFinal = (await waitFor(adapter, bad.nativeId, undefined, ended)).at(-1)!;
    expect(badFinal.status).toBe("failed");
    expect(badFinal.error?.code).toBe("unsupported_format");
    expect(badFinal.error?.message).toMatch(/podcast\.m4a is MP4\/M4A/);
    expect(deps.downloads).toEqual(["https://media.example/talk.wav", "https://media.example/podcast.m4a"]);
    expect(deps.removed).toHaveLength(2);
  });

  it("fails a job whose only file is corrupted, with a clear message", async () => {
    const { adapter } = newAdapter();
    const file = path.join(directory, "broken.flac");
    const garbage = Buffer.alloc(30_000, 0x5a);
    garbage.write("fLaC", 0, "latin1");
    fs.writeFileSync(file, garbage);
    const started = await adapter.start({ task: "acoustic", media: [pathInput(file)], options: {} }, {});
    const final = (await waitFor(adapter, started.nativeId, undefined, ended)).at(-1)!;
    expect(final.status).toBe("failed");
    expect(final.error).toEqual({ code: "decode_failed", message: "broken.flac looks like FLAC but no audio could be decoded from it; the file is damaged or empty" });
  });

  it("keeps the good files of a job and warns about a corrupted one", async () => {
    const { adapter } = newAdapter();
    const broken = path.join(directory, "half.flac");
    fs.writeFileSync(broken, Buffer.concat([Buffer.from("fLaC"), Buffer.alloc(5_000, 0x33)]));
    const started = await adapter.start({ task: "acoustic", media: [pathInput(twoVoices("good.wav")), pathInput(broken)], options: {} }, {});
    const final = (await waitFor(adapter, started.nativeId, undefined, ended)).at(-1)!;
    expect(final.status).toBe("succeeded");
    expect(final.warnings?.[0]).toMatch(/^half\.flac not analysed: half\.flac looks like FLAC/);
    const fetched = await adapter.fetchResults({ ...jobFrom(final), status: "succeeded" }, fakeSink(), {});
    const view = adapter.condense({ job: jobFrom(final), index: fetched.index, query: { top_k: 5 } });
    expect(view.about[0]).toContain("1 file could not be analysed");
    expect(view.summary.join("\n")).toContain("half.flac: not analysed — half.flac looks like FLAC");
  });

  it("cancels a running analysis: the worker stops and the job ends canceled", async () => {
    const { adapter } = newAdapter();
    const file = longFile("long.wav", 20);
    const started = await adapter.start({ task: "acoustic", media: [pathInput(file)], options: {} }, {});
    const running = (await waitFor(adapter, started.nativeId, undefined, (snapshot) => (snapshot.progress?.done ?? 0) > 0 || ended(snapshot))).at(-1)!;
    expect(running.status).toBe("running");
    expect(running.progress).toMatchObject({ total: 1200, unit: "seconds" });
    expect(running.progress!.done).toBeLessThan(1200);
    const canceled = await adapter.cancel!(jobFrom(running), {});
    expect(canceled.status).toBe("canceled");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const later = await adapter.get(started.nativeId, undefined, {});
    expect(later.status).toBe("canceled");
    expect(later.progress!.done).toBe(canceled.progress!.done);
  });

  it("restarts a job from its stored inputs after a server restart, then serves its results", async () => {
    const file = twoVoices("resumed.wav");
    const before = newAdapter().adapter;
    const started = await before.start({ task: "acoustic", media: [pathInput(file)], options: { min_pause_s: 0.5 } }, {});
    const stored = jobFrom({ ...started, status: "running" }, { min_pause_s: 0.5 });
    await before.close!();

    const after = newAdapter().adapter;
    const resumed = await after.get(started.nativeId, stored, {});
    expect(["queued", "running"]).toContain(resumed.status);
    const final = (await waitFor(after, started.nativeId, stored, ended)).at(-1)!;
    expect(final.status).toBe("succeeded");
    const fetched = await after.fetchResults({ ...stored, status: "succeeded" }, fakeSink(), {});
    expect((fetched.index as LocalIndex).files[0]!.speech.segmentCount).toBe(2);
  });

  it("repeats the analysis when results are asked for but not in memory (restart after success)", async () => {
    const file = twoVoices("after-success.wav");
    const { adapter } = newAdapter();
    const job: Job = { ...jobFrom({ nativeId: newLocalNativeId(), status: "succeeded", inputs: [{ kind: "path", path: file, name: "after-success.wav" }] }) };
    const sink = fakeSink();
    const fetched = await adapter.fetchResults(job, sink, {});
    expect((fetched.index as LocalIndex).files[0]!.name).toBe("after-success.wav");
    expect(sink.parts.has("report.json")).toBe(true);
  });

  it("does not know jobs it never saw when the core has no record", async () => {
    await expect(newAdapter().adapter.get("nope", undefined, {})).rejects.toThrow(/no local job nope/);
  });

  it("makes time-sortable unique native ids", () => {
    const earlier = newLocalNativeId(1_700_000_000_000);
    const later = newLocalNativeId(1_700_000_000_001);
    expect(earlier < later).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => newLocalNativeId(5))).size).toBe(1000);
  });
});

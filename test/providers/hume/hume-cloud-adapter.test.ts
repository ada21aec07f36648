// audio_expression and image_expression against the strict fake of Hume's current API: pieces
// cut at pauses and merged at exact offsets, faults survived, errors as the vendor meant them,
// resume without sending an answered piece again, cancel, JPEG batches with per-face results.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatSpan } from "../../../src/condense/format.js";
import { UserInputError } from "../../../src/errors.js";
import { isTerminal, type Job, type JobSnapshot } from "../../../src/jobs/job.js";
import { createHumeAdapter } from "../../../src/providers/hume/hume-adapter.js";
import { createHumeCloudTasks, type HumeCloudTasks } from "../../../src/providers/hume/hume-cloud-adapter.js";
import type { CloudAudioIndex } from "../../../src/providers/hume/hume-cloud-index.js";
import type { JobPartStore, ResultSink } from "../../../src/providers/provider.js";
import { fakeFaces, HumeCloudFake, makeTestJpeg } from "../../fakes/hume-cloud-fake.js";
import { jobFromSnapshot, testAdapterDeps } from "../../support/adapter-deps.js";
import { expectedMeasurements, expectedTop, joined, RATE, speechLike, writeWav } from "./hume-cloud-support.js";

let directory: string;
let fake: HumeCloudFake;
const opened: HumeCloudTasks[] = [];

beforeEach(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "hume-cloud-"));
  fake = await new HumeCloudFake().start();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((tasks) => tasks.close()));
  await fake.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

function memoryParts(): JobPartStore & { puts: string[] } {
  const parts = new Map<string, Buffer>();
  const puts: string[] = [];
  return {
    puts,
    put: async (jobId, name, data) => {
      puts.push(name);
      parts.set(`${jobId}|${name}`, Buffer.from(data));
    },
    get: async (jobId, name) => parts.get(`${jobId}|${name}`),
    list: async (jobId) => [...parts.keys()].filter((key) => key.startsWith(`${jobId}|`)).map((key) => key.slice(jobId.length + 1)),
  };
}

function tasksFor(options: { key?: string; maxBodyBytes?: number; parts?: JobPartStore } = {}): { tasks: HumeCloudTasks; logLines: string[] } {
  const logLines: string[] = [];
  const deps = testAdapterDeps(
    { MEDIA_JOBS_DATA_DIR: directory, HUME_API_KEY: options.key ?? fake.apiKey, HUME_CLOUD_BASE_URL: fake.baseUrl },
    { logLines, retry: { minDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_500 } },
  );
  const tasks = createHumeCloudTasks({ ...deps, jobParts: options.parts ?? memoryParts() }, { maxBodyBytes: options.maxBodyBytes });
  opened.push(tasks);
  return { tasks, logLines };
}

const memorySink = (): ResultSink & { parts: Map<string, string> } => {
  const parts = new Map<string, string>();
  return { parts, putPart: async (name, data) => void parts.set(name, String(data)), appendPart: async (name, data) => void parts.set(name, (parts.get(name) ?? "") + String(data)) };
};

async function runToEnd(tasks: HumeCloudTasks, job: Job, until: (snapshot: JobSnapshot) => boolean = (snapshot) => isTerminal(snapshot.status)): Promise<JobSnapshot> {
  for (;;) {
    const snapshot = await tasks.get(job.nativeId, job);
    if (until(snapshot)) return snapshot;
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

const BURSTS = [
  { start: 0.5, end: 6.0, hz: 220, amplitude: 0.3 },
  { start: 7.5, end: 15.0, hz: 440, amplitude: 0.25 },
  { start: 16.2, end: 25.0, hz: 330, amplitude: 0.4 },
  { start: 26.5, end: 33.0, hz: 660, amplitude: 0.2 },
  { start: 34.0, end: 45.5, hz: 250, amplitude: 0.35 },
  { start: 47.0, end: 58.5, hz: 520, amplitude: 0.3 },
];
/** A body limit that holds about 20 s of audio: a minute becomes 3–4 pieces. */
const SMALL_BODY = 20 * RATE * 2 + 1_000;

async function startAudio(tasks: HumeCloudTasks, signal: Float32Array, options: Record<string, unknown> = {}): Promise<Job> {
  const file = writeWav(directory, "talk.wav", signal);
  const snapshot = await tasks.start({ task: "audio_expression", media: [{ kind: "path", ...file }], options });
  return jobFromSnapshot("hume", "audio_expression", snapshot, { inputs: snapshot.inputs!, options, status: "queued" });
}

describe("audio_expression", () => {
  it("sends contiguous pieces cut at pauses and merges Hume's times at exact offsets", async () => {
    const signal = speechLike(60, BURSTS);
    const { tasks } = tasksFor({ maxBodyBytes: SMALL_BODY });
    const job = await startAudio(tasks, signal, { measurement_timer_ms: 4000 });
    expect(fake.audioCalls).toHaveLength(0); // nothing is sent before the core has saved the job
    const done = await runToEnd(tasks, job);
    expect(done).toMatchObject({ status: "succeeded", progress: { done: 60, total: 60, unit: "seconds" } });
    expect(fake.refusals).toEqual([]);
    fake.server.assertAllHandled();

    const answered = fake.answeredAudio();
    expect(answered.length).toBeGreaterThanOrEqual(3);
    for (const request of fake.server.requestsTo("POST", "/v1/expression/audio/file")) {
      expect(request.body.length).toBeLessThanOrEqual(SMALL_BODY);
      expect(Object.keys(request.headers).filter((name) => /key|auth/i.test(name))).toEqual(["x-hume-api-key"]);
    }
    expect(answered.every((call) => call.timerMs === 4000)).toBe(true);
    // No gap, no overlap: the pieces joined are the recording (within the resampler's ripple).
    const all = joined(answered);
    expect(all.length).toBe(signal.length);
    let worst = 0;
    for (let index = 0; index < all.length; index++) worst = Math.max(worst, Math.abs(all[index]! - Math.round(signal[index]! * 32768)));
    expect(worst).toBeLessThan(400);
    // Every cut falls in a pause of the source.
    let offset = 0;
    for (const call of answered.slice(0, -1)) {
      offset += call.samples.length;
      const seconds = offset / RATE;
      expect(BURSTS.some((burst) => seconds > burst.start && seconds < burst.end)).toBe(false);
    }

    const sink = memorySink();
    const fetched = await tasks.fetchResults({ ...job, status: "succeeded" }, sink);
    const index = fetched.index as CloudAudioIndex;
    const expected = expectedMeasurements(answered);
    const merged = index.utterances.flatMap((utterance) => utterance.measurements).sort((a, b) => a.endS - b.endS || a.startS - b.startS);
    expect(merged.map((measurement) => [measurement.startS, measurement.endS, measurement.trigger])).toEqual(
      expected.sort((a, b) => a.endS - b.endS || a.startS - b.startS).map((measurement) => [measurement.startS, measurement.endS, measurement.trigger]),
    );
    expect(JSON.parse(sink.parts.get("measurements.json")!).utterances.length).toBe(index.utterances.length);

    const view = tasks.condense({ job: { ...job, status: "succeeded" }, index, query: { top_k: 4 } });
    expect(view.figures!.top_expressions).toEqual(expectedTop(expected, 4));
    expect(view.summary[0]).toContain(`over ${expected.length} measurements`);
    // Peaks: each top expression's highest single measurement, with its absolute span.
    const peaks = expectedTop(expected, 4).map(({ name }) => {
      const best = expected.reduce((top, measurement) => ((measurement.expressions.get(name) ?? 0) > (top.expressions.get(name) ?? 0) ? measurement : top));
      return `${name} ${best.expressions.get(name)!.toFixed(2)} at ${formatSpan(best.startS, best.endS)}`;
    });
    expect(view.summary).toContain(`Peaks (highest single measurement): ${peaks.join("; ")}`);
    // Turns: Hume's utterances joined across pauses shorter than 1 s, one row each.
    const utterances = answered.flatMap((call, position) => {
      const offset = answered.slice(0, position).reduce((sum, previous) => sum + previous.samples.length, 0) / RATE;
      return call.response!.utterances.map((utterance) => [offset + utterance.audio_start_ms / 1000, offset + utterance.audio_end_ms / 1000] as const);
    });
    const turns: Array<[number, number]> = [];
    for (const [start, end] of utterances) {
      const last = turns.at(-1);
      if (last && start - last[1] < 1) last[1] = Math.max(last[1], end);
      else turns.push([start, end]);
    }
    expect(view.sections[0]!.rows.map((row) => row.split(" ")[0])).toEqual(turns.map(([start, end]) => formatSpan(start, end)));
    const timeline = tasks.condense({ job, index, query: { top_k: 3, view: "timeline" } });
    expect(timeline.sections[0]!.rows.map((row) => row.split(" ")[0])).toEqual(expected.map((measurement) => formatSpan(measurement.startS, measurement.endS)));
    const windowed = tasks.condense({ job, index, query: { top_k: 3, view: "arc", start_s: 10, end_s: 40 } });
    expect(windowed.sections[0]!.rows.length).toBeGreaterThan(1);
    expect(windowed.figures!.measurements).toBe(expected.filter((measurement) => measurement.endS >= 10 && measurement.startS <= 40).length);
  });

  it("reads the flat nesting to the same merged result", async () => {
    const signal = speechLike(30, BURSTS.slice(0, 3));
    const results: unknown[] = [];
    for (const nesting of ["nested", "flat"] as const) {
      fake.nesting = nesting;
      const { tasks } = tasksFor({ maxBodyBytes: SMALL_BODY });
      const job = await startAudio(tasks, signal);
      expect((await runToEnd(tasks, job)).status).toBe("succeeded");
      const { index } = await tasks.fetchResults({ ...job, status: "succeeded" }, memorySink());
      results.push((index as CloudAudioIndex).utterances);
    }
    expect(results[1]).toEqual(results[0]);
  });

  it("holds every request for a 429's Retry-After and survives 5xx", async () => {
    const { tasks, logLines } = tasksFor({ maxBodyBytes: SMALL_BODY });
    fake.server.injectFault({ kind: "status", status: 429, headers: { "retry-after": "1" }, body: { message: "API rate limit exceeded" } }, { pathPrefix: "/v1/expression/audio", times: 1 });
    fake.server.injectFault({ kind: "status", status: 503, body: { type: "error", code: "internal_error", message: "try again" } }, { pathPrefix: "/v1/expression/audio", times: 2 });
    const job = await startAudio(tasks, speechLike(45, BURSTS.slice(0, 5)));
    const started = Date.now();
    const done = await runToEnd(tasks, job);
    expect(done.status).toBe("succeeded");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const requests = fake.server.requestsTo("POST", "/v1/expression/audio/file");
    expect(requests.length).toBe(fake.answeredAudio().length + 3);
    // Each piece answered once: their lengths add up to the recording.
    expect(fake.answeredAudio().reduce((sum, call) => sum + call.samples.length, 0)).toBe(45 * RATE);
    expect(logLines.join("\n")).not.toContain(fake.apiKey);
  });

  it("reports a refused key by its variable, never the key", async () => {
    const wrong = "wrong-key-0123456789";
    const { tasks, logLines } = tasksFor({ key: wrong });
    const job = await startAudio(tasks, speechLike(10, BURSTS.slice(0, 1)));
    const done = await runToEnd(tasks, job);
    expect(done.status).toBe("failed");
    expect(done.error!.code).toBe("provider_unauthorized");
    expect(done.error!.message).toMatch(/HUME_API_KEY/);
    expect(JSON.stringify(done) + logLines.join("\n")).not.toContain(wrong);
  });

  it("passes on what a 400 or 413 names", async () => {
    fake.server.injectFault(
      { kind: "status", status: 400, body: { type: "error", code: "config_invalid", message: "config.measurement_timer_ms must be from 3000 to 10000" } },
      { pathPrefix: "/v1/expression/audio", times: 1 },
    );
    const { tasks } = tasksFor();
    const rejected = await runToEnd(tasks, await startAudio(tasks, speechLike(8, BURSTS.slice(0, 1))));
    expect(rejected.error).toMatchObject({ code: "provider_rejected" });
    expect(rejected.error!.message).toMatch(/measurement_timer_ms must be from 3000 to 10000/);
    fake.server.injectFault({ kind: "status", status: 413, body: { type: "error", code: "request_too_large", message: "too large" } }, { pathPrefix: "/v1/expression/audio", times: 1 });
    const tooLarge = await runToEnd(tasks, await startAudio(tasks, speechLike(8, BURSTS.slice(0, 1))));
    expect(tooLarge.error).toMatchObject({ code: "provider_too_large" });
    expect(tooLarge.error!.message).toMatch(/25 MB/);
  });

  it("refuses bad options and inputs at start", async () => {
    const { tasks } = tasksFor();
    const file = writeWav(directory, "a.wav", speechLike(2, []));
    await expect(tasks.start({ task: "audio_expression", media: [{ kind: "path", ...file }], options: { measurement_timer_ms: 2000 } })).rejects.toThrow(/measurement_timer_ms/);
    await expect(tasks.start({ task: "audio_expression", media: [{ kind: "path", ...file }], options: { granularity: "word" } })).rejects.toThrow(/unknown option "granularity"/);
    await expect(tasks.start({ task: "audio_expression", media: [{ kind: "path", ...file }, { kind: "path", ...file }], options: {} })).rejects.toThrow(/one recording per job/);
    fs.writeFileSync(path.join(directory, "x.txt"), "hello, not audio at all".repeat(10));
    await expect(tasks.start({ task: "audio_expression", media: [{ kind: "path", path: path.join(directory, "x.txt"), name: "x.txt", bytes: 230 }], options: {} })).rejects.toThrow(UserInputError);
  });

  it("resumes after a restart from the first unanswered piece, sending no answered piece again", async () => {
    const parts = memoryParts();
    const signal = speechLike(60, BURSTS);
    const first = tasksFor({ maxBodyBytes: SMALL_BODY, parts });
    fake.holdAudioAfter(2);
    const job = await startAudio(first.tasks, signal);
    await runToEnd(first.tasks, job, () => fake.audioCalls.length === 3);
    expect(parts.puts.filter((name) => name.startsWith("chunk-"))).toEqual(["chunk-0001.json", "chunk-0002.json"]);
    // The server goes away with piece 3 in flight; its request never gets an answer.
    await first.tasks.close();
    fake.abandonHeld();
    fake.release();
    const second = tasksFor({ maxBodyBytes: SMALL_BODY, parts });
    const done = await runToEnd(second.tasks, { ...job, status: "running" });
    expect(done.status).toBe("succeeded");
    const answered = fake.answeredAudio();
    const starts = new Set<number>();
    let offset = 0;
    for (const call of answered) {
      expect(starts.has(offset)).toBe(false);
      starts.add(offset);
      offset += call.samples.length;
    }
    expect(offset).toBe(signal.length);
    expect(fake.audioCalls.length).toBe(answered.length + 1); // only the abandoned piece went twice
    const { index } = await second.tasks.fetchResults({ ...job, status: "succeeded" }, memorySink());
    expect((index as CloudAudioIndex).chunks.length).toBe(answered.length);
  });

  it("cancels a running job: the request in flight is dropped and nothing more is sent", async () => {
    const { tasks } = tasksFor({ maxBodyBytes: SMALL_BODY });
    fake.holdAudioAfter(1);
    const job = await startAudio(tasks, speechLike(60, BURSTS));
    await runToEnd(tasks, job, () => fake.audioCalls.length === 2);
    const canceled = await tasks.cancel(job);
    expect(canceled.status).toBe("canceled");
    fake.abandonHeld();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.audioCalls.length).toBe(2);
    expect((await tasks.get(job.nativeId, job)).status).toBe("canceled");
  });
});

describe("audio_expression with several servers on one store", () => {
  it("abandons a job another server took over or canceled: the request in flight is dropped, nothing more is sent, nothing kept here", async () => {
    const parts = memoryParts();
    const { tasks } = tasksFor({ maxBodyBytes: SMALL_BODY, parts });
    fake.holdAudioAfter(1);
    const job = await startAudio(tasks, speechLike(60, BURSTS));
    await runToEnd(tasks, job, () => fake.audioCalls.length === 2);
    expect(tasks.runningHere()).toEqual([job.nativeId]);
    expect(await tasks.abandon(job.nativeId)).toBe(true);
    fake.abandonHeld();
    expect(tasks.runningHere()).toEqual([]);
    expect(fake.audioCalls.length).toBe(2);
    // Only the answered piece is stored: whoever runs the job now resumes after it.
    expect(parts.puts.filter((name) => name.startsWith("chunk-"))).toEqual(["chunk-0001.json"]);
    expect(await tasks.abandon(job.nativeId)).toBe(false);
  });

  it("fails a job resumed where its file cannot be read, saying so, instead of decoding nothing", async () => {
    const { tasks } = tasksFor({ maxBodyBytes: SMALL_BODY });
    const job = await startAudio(tasks, speechLike(10, BURSTS.slice(0, 1)));
    const moved = { ...job, status: "running" as const, inputs: [{ kind: "path" as const, path: path.join(directory, "not-on-this-machine.wav"), name: "not-on-this-machine.wav" }] };
    const failed = await runToEnd(tasks, moved);
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("input_unavailable");
    expect(failed.error?.message).toMatch(/^not-on-this-machine\.wav cannot be read by the server running this job \(ENOENT\): this server took the job over/);
    expect(fake.audioCalls.length).toBe(0);
  });
});

describe("image_expression", () => {
  it("gives per-face results for three JPEGs, batched within the body limit", async () => {
    const images = [
      makeTestJpeg({ width: 1920, height: 1080, faces: 3, seed: "a", padding: 30_000 }),
      makeTestJpeg({ width: 640, height: 480, faces: 1, seed: "b", padding: 30_000 }),
      makeTestJpeg({ width: 800, height: 600, faces: 0, seed: "c", padding: 30_000 }),
    ];
    const media = images.map((data, position) => {
      const file = path.join(directory, `p${position}.jpg`);
      fs.writeFileSync(file, data);
      return { kind: "path" as const, path: file, name: `p${position}.jpg`, bytes: data.length };
    });
    const { tasks } = tasksFor({ maxBodyBytes: 70_000 });
    const snapshot = await tasks.start({ task: "image_expression", media, options: { face_threshold: 0.8 } });
    const job = jobFromSnapshot("hume", "image_expression", snapshot, { inputs: snapshot.inputs!, options: { face_threshold: 0.8 }, status: "queued" });
    const done = await runToEnd(tasks, job);
    expect(done).toMatchObject({ status: "succeeded", progress: { done: 3, total: 3, unit: "images" } });
    expect(fake.refusals).toEqual([]);
    expect(fake.imageCalls.map((call) => call.images.length)).toEqual([2, 1]);
    expect(fake.imageCalls[0]!.config).toEqual({ face: { threshold: 0.8 } });
    for (const request of fake.server.requestsTo("POST", "/v1/expression/video/file")) expect(request.body.length).toBeLessThanOrEqual(70_000);

    const { index } = await tasks.fetchResults({ ...job, status: "succeeded" }, memorySink());
    const view = tasks.condense({ job: { ...job, status: "succeeded" }, index, query: { top_k: 3 } });
    const rows = view.sections[0]!.rows;
    expect(rows.filter((row) => row.startsWith("image 0 (p0.jpg) face"))).toHaveLength(3);
    expect(rows.find((row) => row.startsWith("image 0 (p0.jpg) face 3"))).toMatch(/not measured/);
    expect(rows.find((row) => row.startsWith("image 1 (p1.jpg) face 1"))).toMatch(/descriptions:/);
    expect(rows).toContain("image 2 (p2.jpg): no face");
    expect(view.summary[0]).toBe("3 images: 4 faces detected, 3 measured (Hume measures the largest faces of each image; the rest are listed without scores).");
    // The summary ranks by the mean over the measured faces, a name absent from a face counting 0.
    const measured = images.flatMap((image) => fakeFaces(image)).filter((face) => face.expressions !== null);
    expect(measured).toHaveLength(3);
    const sums = new Map<string, number>();
    for (const face of measured) for (const { name, probability } of face.expressions as Array<{ name: string; probability: number }>) sums.set(name, (sums.get(name) ?? 0) + probability);
    const expectedTopFaces = [...sums]
      .map(([name, sum]) => ({ name, mean: Math.round((sum / measured.length) * 10_000) / 10_000 }))
      .sort((a, b) => b.mean - a.mean || a.name.localeCompare(b.name))
      .slice(0, 3);
    expect(view.figures!.top_expressions).toEqual(expectedTopFaces);
    expect(view.figures!.measured_faces).toBe(3);
  });

  it("refuses non-JPEG images with a clear message", async () => {
    const { tasks } = tasksFor();
    const png = path.join(directory, "face.png");
    fs.writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
    await expect(tasks.start({ task: "image_expression", media: [{ kind: "path", path: png, name: "face.png", bytes: 12 }], options: {} })).rejects.toThrow(
      /face\.png is a PNG image; Hume's image endpoint takes JPEG only/,
    );
    const big = path.join(directory, "big.jpg");
    fs.writeFileSync(big, makeTestJpeg({ width: 4000, height: 3000, faces: 1 }));
    await expect(tasks.start({ task: "image_expression", media: [{ kind: "path", path: big, name: "big.jpg", bytes: fs.statSync(big).size }], options: {} })).rejects.toThrow(
      /big\.jpg is 4000×3000 pixels; Hume accepts at most 8,294,400/,
    );
    expect(fake.imageCalls).toHaveLength(0);
  });
});

describe("the hume provider", () => {
  it("lists which task reaches which API, keeps expression first, and refuses to cancel v0 jobs", async () => {
    const deps = testAdapterDeps({ MEDIA_JOBS_DATA_DIR: directory, HUME_API_KEY: fake.apiKey, HUME_CLOUD_BASE_URL: fake.baseUrl });
    const adapter = createHumeAdapter(deps);
    try {
      const info = adapter.describe();
      expect(info.tasks.map((task) => task.task)).toEqual(["expression", "audio_expression", "image_expression"]);
      expect(info.notices!.join(" ")).toMatch(/retired batch v0 on 2026-06-14: expression needs a compatible HUME_BASE_URL; current keys: audio_expression, image_expression/);
      const v0 = jobFromSnapshot("hume", "expression", { nativeId: "abc", status: "running" });
      await expect(adapter.cancel!(v0, {})).rejects.toThrow(/no way to cancel/);
    } finally {
      await adapter.close?.();
    }
  });
});

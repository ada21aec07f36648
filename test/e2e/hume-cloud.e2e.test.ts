// Hume's current API end to end over stdio with the built CLI, against the strict fake: a
// 30-minute MP3 (a committed 60 s MP3 whose frames are repeated 30 times: encoded without a
// bit reservoir, so copies join cleanly) measured in three pieces through a 429, a 503 and a
// SIGKILL after the second piece; then three JPEGs with per-face results.

import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatSpan } from "../../src/condense/format.js";
import { HumeCloudFake, makeTestJpeg } from "../fakes/hume-cloud-fake.js";
import { expectedMeasurements, expectedTop, RATE } from "../providers/hume/hume-cloud-support.js";
import { ROOT, callTool, startStdio, structured, tempDataDir, textOf, waitForJob, type StdioSession } from "./harness.js";

let fake: HumeCloudFake;
let dataDir: string;
let mediaDir: string;
const sessions: StdioSession[] = [];

beforeAll(async () => {
  fake = await new HumeCloudFake().start();
  dataDir = tempDataDir();
  mediaDir = tempDataDir();
  const minute = fs.readFileSync(path.join(ROOT, "test", "fixtures", "hume", "speech-like-60s.mp3"));
  fs.writeFileSync(path.join(mediaDir, "interview.mp3"), Buffer.concat(Array.from({ length: 30 }, () => minute)));
  [
    { faces: 3, seed: "one" },
    { faces: 1, seed: "two" },
    { faces: 0, seed: "three" },
  ].forEach((image, position) => fs.writeFileSync(path.join(mediaDir, `frame-${position + 1}.jpg`), makeTestJpeg({ width: 1280, height: 720, ...image })));
  fs.writeFileSync(path.join(mediaDir, "logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
});

afterAll(async () => {
  for (const session of sessions) await session.close();
  await fake?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(mediaDir, { recursive: true, force: true });
});

function env(): Record<string, string> {
  return { HUME_API_KEY: fake.apiKey, HUME_CLOUD_BASE_URL: fake.baseUrl, MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_ALLOWED_DIRS: mediaDir };
}

async function until(condition: () => boolean, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("hume audio_expression over stdio", () => {
  it("measures a 30-minute MP3 in contiguous pieces through a 429, a 503 and a SIGKILL, sending no answered piece twice", async () => {
    fake.server.injectFault({ kind: "status", status: 429, headers: { "retry-after": "1" }, body: { message: "API rate limit exceeded" } }, { pathPrefix: "/v1/expression/audio", times: 1 });
    fake.server.injectFault({ kind: "status", status: 503, body: { type: "error", code: "internal_error", message: "busy" } }, { pathPrefix: "/v1/expression/audio", times: 1 });
    fake.holdAudioAfter(2);
    const first = await startStdio(env());
    sessions.push(first);
    const started = await callTool(first.client, "start_job", { provider: "hume", task: "audio_expression", media: [{ path: "interview.mp3" }] });
    expect(started.isError, textOf(started)).toBeFalsy();
    const jobId = structured<{ job: { job_id: string } }>(started).job.job_id;

    // Piece 3 is in flight (held) once pieces 1 and 2 are answered and stored.
    await until(() => fake.audioCalls.length === 3, 120);
    // Progress counts the audio answered so far (the stored copy catches up at the next look).
    const firstTwoSeconds = (fake.audioCalls[0]!.samples.length + fake.audioCalls[1]!.samples.length) / RATE;
    let midway: { status: string; progress?: { done: number; total?: number } } | undefined;
    const lookUntil = Date.now() + 15_000;
    do {
      midway = structured<{ job: typeof midway }>(await callTool(first.client, "get_job", { job_id: jobId, wait_seconds: 1 })).job;
    } while (Math.abs((midway!.progress?.done ?? 0) - firstTwoSeconds) > 0.1 && Date.now() < lookUntil);
    expect(midway!.status).toBe("running");
    expect(midway!.progress?.done).toBeCloseTo(firstTwoSeconds, 0);
    expect(midway!.progress?.total).toBeCloseTo(1805.8, 0);
    process.kill(first.pid!, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.close();
    fake.abandonHeld();
    fake.release();

    const second = await startStdio(env());
    sessions.push(second);
    expect(await waitForJob(second.client, jobId, 150)).toMatchObject({ status: "succeeded", results: "stored" });
    expect(fake.refusals).toEqual([]);
    fake.server.assertAllHandled();

    const answered = fake.answeredAudio();
    expect(answered).toHaveLength(3);
    // Only the piece that was in flight at the kill went twice; it is the third piece, same bytes.
    expect(fake.audioCalls).toHaveLength(4);
    expect(Buffer.from(fake.audioCalls[2]!.samples.buffer).equals(Buffer.from(fake.audioCalls[3]!.samples.buffer))).toBe(true);
    const totalSamples = answered.reduce((sum, call) => sum + call.samples.length, 0);
    expect(totalSamples / RATE).toBeCloseTo(1805.76, 1);
    for (const request of fake.server.requestsTo("POST", "/v1/expression/audio/file")) {
      expect(request.body.length).toBeLessThanOrEqual(25_000_000);
      expect(Object.keys(request.headers).filter((name) => /key|auth/i.test(name))).toEqual(["x-hume-api-key"]);
    }

    const expected = expectedMeasurements(answered).sort((a, b) => a.endS - b.endS || a.startS - b.startS);
    const summary = await callTool(second.client, "get_predictions", { job_id: jobId, max_tokens: 4000 });
    expect(summary.isError, textOf(summary)).toBeFalsy();
    const figures = structured<{ figures: { top_expressions: unknown; measurements: number; requests: number } }>(summary).figures;
    expect(figures.top_expressions).toEqual(expectedTop(expected, 5));
    expect(figures).toMatchObject({ measurements: expected.length, requests: 3 });
    expect(textOf(summary)).toContain(`Top expressions over the whole recording (mean probability over ${expected.length} measurements`);
    expect(textOf(summary)).toMatch(/Peaks \(highest single measurement\): \w+ \d\.\d\d at \d+:\d\d\.\d–\d+:\d\d\.\d/);

    // Every merged measurement, paged through: absolute spans to 0.1 s as the fake's answers imply.
    const spans: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await callTool(second.client, "get_predictions", { job_id: jobId, view: "timeline", max_tokens: 8000, ...(cursor ? { cursor } : {}) });
      const text = textOf(page);
      spans.push(...text.split("\n").filter((line) => /^\d+:\d\d\.\d–\d+:\d\d\.\d (interval|speech_ended):/.test(line)).map((line) => line.split(" ")[0]!));
      cursor = structured<{ next_cursor: string | null }>(page).next_cursor ?? undefined;
    } while (cursor);
    expect(spans).toEqual(expected.map((measurement) => formatSpan(measurement.startS, measurement.endS)));
  }, 300_000);
});

describe("hume image_expression over stdio", () => {
  it("gives per-face results for three JPEGs and refuses a PNG with a clear message", async () => {
    const session = await startStdio(env());
    sessions.push(session);
    const media = [1, 2, 3].map((number) => ({ path: `frame-${number}.jpg` }));
    const started = await callTool(session.client, "start_job", { provider: "hume", task: "image_expression", media });
    const jobId = structured<{ job: { job_id: string } }>(started).job.job_id;
    expect(await waitForJob(session.client, jobId, 60)).toMatchObject({ status: "succeeded", results: "stored" });
    const text = textOf(await callTool(session.client, "get_predictions", { job_id: jobId }));
    expect(text).toContain("3 images: 4 faces detected, 3 measured");
    expect(text).toMatch(/image 0 \(frame-1\.jpg\) face 1 \[id 1, box \d+,\d+,400,480 \(x,y,w,h\), confidence 1\.00\]: .+ \| descriptions: /);
    expect(text).toMatch(/image 0 \(frame-1\.jpg\) face 3 \[box .+\]: detected, not measured/);
    expect(text).toContain("image 2 (frame-3.jpg): no face");

    const refused = await callTool(session.client, "start_job", { provider: "hume", task: "image_expression", media: [{ path: "logo.png" }] });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/logo\.png is a PNG image; Hume's image endpoint takes JPEG only/);
  }, 120_000);
});

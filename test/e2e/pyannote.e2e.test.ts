// Issue 2's "done when": the MCP SDK Client drives the built CLI over stdio and over --http
// against the pyannoteAI fake — list providers, start a diarization, wait, read condensed
// predictions, page and window them, subscribe and receive the update, list jobs.

import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { tokensOf } from "../../src/condense/render.js";
import { mergeTurns, overlapSeconds, type Segment } from "../../src/providers/pyannote/pyannote-condense.js";
import { diarizationFor, startPyannoteFake, type PyannoteFake } from "../fakes/pyannote-fake.js";
import { callTool, startHttp, startStdio, structured, tempDataDir, textOf, waitForJob, type HttpChild, type StdioSession } from "./harness.js";

const WEBHOOK_SECRET = "whsec-pyannote-test-0123456789";
let fake: PyannoteFake;
let dataDir: string;
let mediaDir: string;

beforeAll(async () => {
  fake = await startPyannoteFake({ createdPolls: 1, runningPolls: 3, speakers: 3, segments: 80 });
  dataDir = tempDataDir();
  mediaDir = path.join(dataDir, "media");
  fs.mkdirSync(mediaDir);
  fs.writeFileSync(path.join(mediaDir, "standup.wav"), Buffer.alloc(50_000, 7));
  fs.writeFileSync(path.join(mediaDir, "alice.wav"), Buffer.alloc(20_000, 3));
});

afterAll(async () => {
  await fake?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PYANNOTEAI_API_KEY: fake.apiKey,
    PYANNOTEAI_BASE_URL: fake.baseUrl,
    MEDIA_JOBS_DATA_DIR: dataDir,
    MEDIA_JOBS_ALLOWED_DIRS: mediaDir,
    ...extra,
  };
}

async function diarizationFlow(client: Client, url: string): Promise<string> {
  const providers = structured<{ providers: Array<{ id: string; configured: boolean }> }>(await callTool(client, "list_providers", {}));
  expect(providers.providers.find((provider) => provider.id === "pyannote")?.configured).toBe(true);
  const started = structured<{ job: { job_id: string; status: string } }>(
    await callTool(client, "start_job", { provider: "pyannote", task: "diarize", media: [{ url }], options: { min_speakers: 2, max_speakers: 4 } }),
  );
  expect(started.job.job_id).toMatch(/^pyannote:diarize-/);
  expect(await waitForJob(client, started.job.job_id)).toMatchObject({ status: "succeeded", results: "stored" });
  return started.job.job_id;
}

describe("pyannoteAI over stdio", () => {
  let session: StdioSession;
  beforeAll(async () => {
    session = await startStdio(env());
  });
  afterAll(async () => {
    await session?.close();
  });

  it("diarizes, condenses with computed figures, pages and windows the timeline", async () => {
    const url = "https://media.example.com/standup.mp3";
    const jobId = await diarizationFlow(session.client, url);
    const diarize = fake.server.requestsTo("POST", "/v1/diarize").at(-1)!;
    expect(diarize.json).toEqual({ url, minSpeakers: 2, maxSpeakers: 4 });

    // Truth computed independently from the fake's output.
    const segments = (diarizationFor(url, 3, 80, false).diarization as Segment[]).map(({ speaker, start, end }) => ({ speaker, start, end }));
    const talk = new Map<string, number>();
    for (const segment of segments) talk.set(segment.speaker, (talk.get(segment.speaker) ?? 0) + segment.end - segment.start);
    const first = await callTool(session.client, "get_predictions", { job_id: jobId, max_tokens: 700 });
    expect(first.isError).toBeFalsy();
    expect(tokensOf(first)).toBeLessThanOrEqual(700);
    const text = textOf(first);
    const figures = (first.structuredContent as { figures: { speakers: Array<{ speaker: string; talk_s: number; turns: number }>; overlap_s: number } }).figures;
    for (const [speaker, seconds] of talk) {
      expect(figures.speakers.find((entry) => entry.speaker === speaker)?.talk_s).toBeCloseTo(seconds, 0);
      expect(text).toContain(speaker);
    }
    expect(figures.overlap_s).toBeCloseTo(overlapSeconds(segments), 0);
    expect(text.indexOf("Summary:")).toBeLessThan(text.indexOf("Timeline"));

    // Paging walks every merged turn exactly once.
    const turns = mergeTurns(segments);
    let rows = 0;
    let cursor: string | null = (first.structuredContent as { next_cursor: string | null }).next_cursor;
    rows += (first.structuredContent as { rows_shown: number }).rows_shown;
    while (cursor) {
      const page = await callTool(session.client, "get_predictions", { job_id: jobId, max_tokens: 700, cursor });
      expect(tokensOf(page)).toBeLessThanOrEqual(700);
      rows += (page.structuredContent as { rows_shown: number }).rows_shown;
      cursor = (page.structuredContent as { next_cursor: string | null }).next_cursor;
    }
    expect(rows).toBe(turns.length);

    // A window and a speaker filter narrow the timeline.
    const windowed = await callTool(session.client, "get_predictions", { job_id: jobId, start_s: 30, end_s: 60, speaker: "SPEAKER_01", max_tokens: 8_000 });
    const timeline = textOf(windowed).split("\n").filter((line) => /^\d+:\d\d\.\d–\d+:\d\d\.\d /.test(line));
    expect(timeline.length).toBeGreaterThan(0);
    expect(timeline.every((line) => line.includes("SPEAKER_01"))).toBe(true);
    const unknown = await callTool(session.client, "get_predictions", { job_id: jobId, speaker: "SPEAKER_99" });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/speakers: SPEAKER_00/);
  });

  it("uploads a local file through the presigned flow without sending the key to storage", async () => {
    const started = structured<{ job: { job_id: string } }>(
      await callTool(session.client, "start_job", { provider: "pyannote", media: [{ path: "standup.wav" }] }),
    );
    expect(await waitForJob(session.client, started.job.job_id)).toMatchObject({ status: "succeeded" });
    const put = fake.storage.requestsTo("PUT", "/upload/").at(-1)!;
    expect(put.headers.authorization).toBeUndefined();
    expect(put.body.length).toBe(50_000);
    const diarize = fake.server.requestsTo("POST", "/v1/diarize").at(-1)!;
    expect((diarize.json as { url: string }).url).toMatch(/^media:\/\/media-jobs-mcp\/.+standup\.wav$/);
  });

  it("makes a voiceprint that never appears in results, then identifies speakers by its label", async () => {
    const voiceprintJob = structured<{ job: { job_id: string } }>(
      await callTool(session.client, "start_job", { provider: "pyannote", task: "voiceprint", label: "alice", media: [{ path: "alice.wav" }] }),
    ).job.job_id;
    expect(await waitForJob(session.client, voiceprintJob)).toMatchObject({ status: "succeeded", results: "stored" });
    const nativeId = voiceprintJob.split(":")[1]!;
    const secretPrint = fake.voiceprintFor(nativeId);

    const predictions = await callTool(session.client, "get_predictions", { job_id: voiceprintJob });
    const resource = await session.client.readResource({ uri: `media-jobs://jobs/${voiceprintJob}/result` });
    const providers = await callTool(session.client, "list_providers", {});
    const voiceprints = await session.client.readResource({ uri: "media-jobs://voiceprints" });
    for (const exposed of [JSON.stringify(predictions), JSON.stringify(resource), JSON.stringify(providers), JSON.stringify(voiceprints), session.stderr()]) {
      expect(exposed).not.toContain(secretPrint.slice(0, 40));
    }
    expect(textOf(predictions)).toMatch(/stored under label "alice"/);
    expect(JSON.stringify(voiceprints)).toContain("alice");

    const identify = structured<{ job: { job_id: string } }>(
      await callTool(session.client, "start_job", { provider: "pyannote", task: "identify", media: [{ url: "https://media.example.com/meeting.wav" }], options: { voiceprints: ["alice"], matching_threshold: 50 } }),
    ).job.job_id;
    const sent = fake.server.requestsTo("POST", "/v1/identify").at(-1)!.json as { voiceprints: Array<{ label: string; voiceprint: string }>; matching: unknown };
    expect(sent.voiceprints).toEqual([{ label: "alice", voiceprint: secretPrint }]);
    expect(sent.matching).toEqual({ threshold: 50 });
    expect(await waitForJob(session.client, identify)).toMatchObject({ status: "succeeded" });
    const named = textOf(await callTool(session.client, "get_predictions", { job_id: identify, max_tokens: 2_000 }));
    expect(named).toMatch(/SPEAKER_00 → alice \(confidence: alice 87\.50\)/);
    expect(named).toMatch(/\balice\b.*\(\d+\.\d s\)/);
    expect(named).not.toContain(secretPrint.slice(0, 40));

    const unknownLabel = await callTool(session.client, "start_job", { provider: "pyannote", task: "identify", media: [{ url: "https://media.example.com/x.wav" }], options: { voiceprints: ["bob"] } });
    expect(textOf(unknownLabel)).toMatch(/no stored voiceprint labelled "bob"; known labels: alice/);
    const deleted = await callTool(session.client, "delete_voiceprint", { label: "alice" });
    expect(deleted.isError).toBeFalsy();
  });

  it("rejects bad options and unsupported operations with messages that say what to do", async () => {
    const conflict = await callTool(session.client, "start_job", { provider: "pyannote", media: [{ url: "https://m.example.com/a.wav" }], options: { num_speakers: 2, min_speakers: 1 } });
    expect(textOf(conflict)).toMatch(/num_speakers, or min_speakers\/max_speakers, not both/);
    const typo = await callTool(session.client, "start_job", { provider: "pyannote", media: [{ url: "https://m.example.com/a.wav" }], options: { numSpeakers: 2 } });
    expect(textOf(typo)).toMatch(/unknown option\(s\) numSpeakers/);
    const noLabel = await callTool(session.client, "start_job", { provider: "pyannote", task: "voiceprint", media: [{ url: "https://m.example.com/a.wav" }] });
    expect(textOf(noLabel)).toMatch(/needs a label/);
    const started = structured<{ job: { job_id: string } }>(await callTool(session.client, "start_job", { provider: "pyannote", media: [{ url: "https://m.example.com/cancel-me.wav" }] }));
    const cancel = await callTool(session.client, "cancel_job", { job_id: started.job.job_id });
    expect(cancel.isError).toBe(true);
    expect(textOf(cancel)).toMatch(/pyannoteAI has no way to cancel/);
  });

  it("lists jobs newest first, and pulls jobs started elsewhere with remote: true", async () => {
    const local = structured<{ jobs: Array<{ job_id: string }> }>(await callTool(session.client, "list_jobs", { provider: "pyannote", limit: 2 }));
    expect(local.jobs).toHaveLength(2);
    // A job created directly at the vendor (a dashboard, another tool).
    const response = await fetch(`${fake.baseUrl}/v1/diarize`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://elsewhere.example.com/call.wav" }),
    });
    const { jobId } = (await response.json()) as { jobId: string };
    const remote = structured<{ jobs: Array<{ job_id: string }> }>(await callTool(session.client, "list_jobs", { provider: "pyannote", remote: true, limit: 50 }));
    expect(remote.jobs.map((job) => job.job_id)).toContain(`pyannote:${jobId}`);
    expect(await waitForJob(session.client, `pyannote:${jobId}`)).toMatchObject({ status: "succeeded" });
    expect(textOf(await callTool(session.client, "get_predictions", { job_id: `pyannote:${jobId}` }))).toMatch(/Speaker diarization/);
  });

  it("looks up a job started elsewhere by its native id, and shows a requested transcript under the budget", async () => {
    const response = await fetch(`${fake.baseUrl}/v1/diarize`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://elsewhere.example.com/podcast.wav", transcription: true }),
    });
    const { jobId } = (await response.json()) as { jobId: string };
    const adopted = structured<{ job: { job_id: string } }>(await callTool(session.client, "get_job", { job_id: `pyannote:${jobId}` }));
    expect(adopted.job.job_id).toBe(`pyannote:${jobId}`);
    expect(await waitForJob(session.client, `pyannote:${jobId}`)).toMatchObject({ status: "succeeded", results: "stored" });
    const transcript = await callTool(session.client, "get_predictions", { job_id: `pyannote:${jobId}`, view: "transcript", max_tokens: 600 });
    expect(transcript.isError, textOf(transcript)).toBeFalsy();
    expect(tokensOf(transcript)).toBeLessThanOrEqual(600);
    expect(textOf(transcript)).toMatch(/Transcript \(by turn\):\n0:0\d\.\d SPEAKER_0\d: \w+/);
    expect((transcript.structuredContent as { next_cursor: string | null }).next_cursor).toBeTruthy();
    const missing = await callTool(session.client, "get_job", { job_id: "pyannote:no-such-job" });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/pyannote answered 404/);
  });

  it("never logs the key, through every call above", () => {
    expect(session.stderr()).not.toContain(fake.apiKey);
  });
});

describe("pyannoteAI over --http with webhooks", () => {
  let server: HttpChild;
  let client: Client;
  beforeAll(async () => {
    server = await startHttp(
      env({ PYANNOTEAI_WEBHOOK_SECRET: WEBHOOK_SECRET, MEDIA_JOBS_PUBLIC_URL: "https://jobs.example.com", MEDIA_JOBS_POLL_INITIAL_MS: "60000", MEDIA_JOBS_POLL_MAX_MS: "60000" }),
    );
    client = await server.connect();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("subscribes to a job and is told when a verified webhook moves it; tampered, stale and replayed webhooks are refused", async () => {
    const updates: string[] = [];
    const logs: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => void updates.push(notification.params.uri));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logs.push(JSON.stringify(notification.params.data)));
    await client.setLoggingLevel("info");
    const started = structured<{ job: { job_id: string } }>(await callTool(client, "start_job", { provider: "pyannote", media: [{ url: "https://media.example.com/hook.wav" }] }));
    const jobId = started.job.job_id;
    const nativeId = jobId.split(":")[1]!;
    // With MEDIA_JOBS_PUBLIC_URL set, the vendor is told where to call back.
    expect((fake.server.requestsTo("POST", "/v1/diarize").at(-1)!.json as { webhook?: string }).webhook).toBe("https://jobs.example.com/webhooks/pyannote");
    await client.subscribeResource({ uri: `media-jobs://jobs/${jobId}` });
    const hookUrl = server.url.replace(/\/mcp$/, "/webhooks/pyannote");
    // Let the fake finish the job, so the re-fetch after the webhook finds output.
    const job = fake.jobs.get(nativeId)!;
    job.polls = 100;
    const body = { jobId: nativeId, status: "succeeded" };

    expect(await fake.sendWebhook(hookUrl, body, { secret: "wrong-secret" })).toBe(401);
    expect(await fake.sendWebhook(hookUrl, body, { secret: WEBHOOK_SECRET, tamper: true })).toBe(401);
    expect(await fake.sendWebhook(hookUrl, body, { secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) - 3_600 })).toBe(401);
    const timestamp = Math.floor(Date.now() / 1000);
    expect(await fake.sendWebhook(hookUrl, body, { secret: WEBHOOK_SECRET, timestamp, encoding: "hex" })).toBe(200);
    expect(await fake.sendWebhook(hookUrl, body, { secret: WEBHOOK_SECRET, timestamp, encoding: "hex" })).toBe(401);

    // Polling is set to a minute: only the webhook can have moved the job this fast.
    const deadline = Date.now() + 15_000;
    let status = "";
    while (Date.now() < deadline) {
      status = structured<{ job: { status: string; results: string } }>(await callTool(client, "get_job", { job_id: jobId })).job.status;
      if (status === "succeeded") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe("succeeded");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(updates).toContain(`media-jobs://jobs/${jobId}`);
    expect(logs.some((line) => line.includes(jobId) && line.includes("succeeded"))).toBe(true);
    const predictions = await callTool(client, "get_predictions", { job_id: jobId });
    expect(predictions.isError, textOf(predictions)).toBeFalsy();
  });

  it("lists providers and jobs over HTTP with a second, independent session", async () => {
    const other = await server.connect();
    const listed = structured<{ jobs: Array<{ job_id: string }> }>(await callTool(other, "list_jobs", { provider: "pyannote" }));
    expect(listed.jobs.length).toBeGreaterThan(0);
    const bad = await callTool(other, "get_job", { job_id: "pyannote" });
    expect(bad.isError).toBe(true);
  });
});

// MCP-level end to end: the built server over stdio, talking to the loopback Hume fake.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHumeFake, type HumeFake } from "../fakes/hume-fake.js";
import { callTool, startStdio, tempDataDir, type StdioSession } from "./harness.js";

let fake: HumeFake;
let session: StdioSession;
let mediaDir: string;

beforeAll(async () => {
  fake = await startHumeFake({ durationS: 30 });
  const dataDir = tempDataDir();
  mediaDir = path.join(dataDir, "media");
  mkdirSync(mediaDir);
  writeFileSync(path.join(mediaDir, "standup.wav"), Buffer.alloc(4_096, 1));
  session = await startStdio({
    HUME_API_KEY: fake.apiKey,
    HUME_BASE_URL: fake.baseUrl,
    MEDIA_JOBS_DATA_DIR: dataDir,
    MEDIA_JOBS_ALLOWED_DIRS: mediaDir,
  });
});

afterAll(async () => {
  await session?.close();
  await fake?.close();
});

function textOf(result: { content?: unknown }): string {
  return ((result.content as Array<{ type: string; text?: string }>) ?? [])
    .filter((part) => part.type === "text")
    .map((part) => part.text)
    .join("\n");
}

describe("Hume over MCP (stdio) against the fake", () => {
  it("lists Hume as configured and retired", async () => {
    const result = await callTool(session.client, "list_providers", {});
    const text = textOf(result);
    expect(text).toContain("Hume");
    expect(text).toContain("2026-06-14");
    expect(text).not.toContain(fake.apiKey);
  });

  it("runs a URL job to completion and reads condensed predictions within the budget", async () => {
    const started = await callTool(session.client, "start_job", {
      provider: "hume",
      media: [{ url: "https://media.example.com/standup.mp4" }],
      options: { models: { face: { fps_pred: 3 }, prosody: { identify_speakers: true } } },
    });
    expect(started.isError).toBeFalsy();
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    expect(jobId).toMatch(/^hume:/);

    let status = "";
    for (let attempt = 0; attempt < 10 && status !== "succeeded"; attempt++) {
      const got = await callTool(session.client, "get_job", { job_id: jobId, wait_seconds: 10 });
      status = (got.structuredContent as { job: { status: string } }).job.status;
    }
    expect(status).toBe("succeeded");

    const predictions = await callTool(session.client, "get_predictions", { job_id: jobId, max_tokens: 1_500 });
    expect(predictions.isError).toBeFalsy();
    expect(Math.ceil(JSON.stringify(predictions).length / 4)).toBeLessThanOrEqual(1_500);
    const text = textOf(predictions);
    expect(text).toMatch(/face \(90 frames, 0:00\.0–0:29\.7\): /);
    expect(text).toMatch(/speaker spk_0: /);

    const arc = await callTool(session.client, "get_predictions", { job_id: jobId, view: "arc", model: "prosody" });
    expect(textOf(arc)).toMatch(/prosody — arc, top 3 per /);

    // The artifacts zip is kept in the store and offered as a resource with its size and type.
    const listed = await session.client.listResources();
    const artifacts = listed.resources.find((resource) => resource.uri === `media-jobs://jobs/${jobId}/parts/artifacts.zip`);
    expect(artifacts).toMatchObject({ mimeType: "application/zip" });
    expect(artifacts?.size).toBeGreaterThan(0);
    const zip = await session.client.readResource({ uri: artifacts!.uri });
    const blob = Buffer.from((zip.contents[0] as { blob: string }).blob, "base64");
    expect(blob.length).toBe(artifacts!.size);
    expect(blob.subarray(0, 2).toString()).toBe("PK");

    const wrongModel = await callTool(session.client, "get_predictions", { job_id: jobId, model: "ner" });
    expect(wrongModel.isError).toBe(true);
    expect(textOf(wrongModel)).toContain("this job has no ner predictions; it has: face, prosody");
  });

  it("uploads a local file from an allowed directory as multipart", async () => {
    const started = await callTool(session.client, "start_job", {
      provider: "hume",
      media: [{ path: path.join(mediaDir, "standup.wav") }],
      options: { models: { prosody: {} } },
    });
    expect(started.isError).toBeFalsy();
    const upload = fake.starts.at(-1)!;
    expect(upload.parts).toEqual(["json", "file"]);
    expect(upload.files[0]).toMatchObject({ filename: "standup.wav", bytes: 4_096 });
  });

  it("refuses invalid options with a message that says how to fix them", async () => {
    const before = fake.starts.length;
    const result = await callTool(session.client, "start_job", {
      provider: "hume",
      media: [{ url: "https://media.example.com/a.mp4" }],
      options: { models: { face: { fps_pred: -1 } } },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("options.models.face.fps_pred: fps_pred must be ≥ 0");
    expect(fake.starts.length).toBe(before);
  });
});

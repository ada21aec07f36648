import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ForbiddenError, ProviderError } from "../../../src/errors.js";
import type { Job } from "../../../src/jobs/job.js";
import type { ProviderAdapter, ResultSink, VoiceprintStore } from "../../../src/providers/provider.js";
import { createPyannoteAdapter, mapPyannoteStatus } from "../../../src/providers/pyannote/pyannote-adapter.js";
import { startPyannoteFake, type PyannoteFake } from "../../fakes/pyannote-fake.js";
import { jobFromSnapshot, memoryVoiceprints, testAdapterDeps } from "../../support/adapter-deps.js";

const SECRET = "whsec-unit-0123456789";
let fake: PyannoteFake | undefined;
afterEach(async () => {
  fake?.server.assertAllHandled();
  await fake?.close();
  fake = undefined;
});

function adapterFor(baseUrl: string, apiKey: string, env: Record<string, string> = {}, voiceprints?: VoiceprintStore): ProviderAdapter {
  return createPyannoteAdapter(
    testAdapterDeps(
      { PYANNOTEAI_API_KEY: apiKey, PYANNOTEAI_BASE_URL: baseUrl, PYANNOTEAI_WEBHOOK_SECRET: SECRET, ...env },
      { logLevel: "error", retry: { minDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_500 }, voiceprints },
    ),
  );
}

function signed(body: unknown, options: { secret?: string; timestamp?: number; encoding?: "base64" | "hex" } = {}) {
  const rawBody = Buffer.from(JSON.stringify(body));
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", options.secret ?? SECRET).update(`v0:${timestamp}:`).update(rawBody).digest(options.encoding ?? "base64");
  return { headers: { "x-signature": signature, "x-request-timestamp": timestamp }, rawBody };
}

function jobOf(nativeId: string, task: Job["task"] = "diarize", label?: string): Job {
  return jobFromSnapshot("pyannote", task, { nativeId, status: "succeeded", label });
}

const nullSink: ResultSink = { putPart: async () => undefined, appendPart: async () => undefined };

describe("pyannoteAI webhooks", () => {
  const adapter = adapterFor("http://127.0.0.1:9", "key-not-used-here");
  const body = { jobId: "job-1", status: "succeeded" };

  it("accepts a valid signature in base64 and in hex, and maps the status", async () => {
    expect(await adapter.handleWebhook!(signed(body))).toMatchObject({ nativeId: "job-1", snapshot: { status: "succeeded", providerStatus: "succeeded" } });
    expect(await adapter.handleWebhook!(signed({ ...body, jobId: "job-2" }, { encoding: "hex" }))).toMatchObject({ nativeId: "job-2" });
  });

  it("refuses tampered, wrongly signed, stale, unsigned and replayed deliveries", async () => {
    const tampered = signed(body);
    tampered.rawBody = Buffer.from(JSON.stringify({ ...body, status: "failed" }));
    await expect(adapter.handleWebhook!(tampered)).rejects.toThrow(ForbiddenError);
    await expect(adapter.handleWebhook!(signed(body, { secret: "other" }))).rejects.toThrow(/signature does not match/);
    await expect(adapter.handleWebhook!(signed(body, { timestamp: Math.floor(Date.now() / 1000) - 301 }))).rejects.toThrow(/±300 s/);
    await expect(adapter.handleWebhook!({ headers: {}, rawBody: Buffer.from("{}") })).rejects.toThrow(/missing X-Signature/);
    const once = signed({ jobId: "job-3", status: "failed" });
    await adapter.handleWebhook!(once);
    await expect(adapter.handleWebhook!(once)).rejects.toThrow(/replay/);
  });

  it("refuses all webhooks when no secret is configured", async () => {
    const unsecured = adapterFor("http://127.0.0.1:9", "k", { PYANNOTEAI_WEBHOOK_SECRET: "" });
    await expect(unsecured.handleWebhook!(signed(body))).rejects.toThrow(/PYANNOTEAI_WEBHOOK_SECRET is not set/);
  });
});

describe("pyannoteAI adapter against the fake", () => {
  it("maps unknown vendor states to running, never to an end", () => {
    expect(mapPyannoteStatus("pending")).toBe("queued");
    expect(mapPyannoteStatus("paused-for-maintenance")).toBe("running");
  });

  it("rides out a 429 with Retry-After on a poll", async () => {
    fake = await startPyannoteFake();
    const adapter = adapterFor(fake.baseUrl, fake.apiKey);
    const started = await adapter.start({ task: "diarize", media: [{ kind: "url", url: "https://m.example.com/a.wav" }], options: {} }, {});
    fake.server.injectFault({ kind: "status", status: 429, headers: { "retry-after": "1", "x-ratelimit-remaining": "0" }, body: { requestId: "r", message: "Too many requests" } }, { pathPrefix: "/v1/jobs/" });
    const snapshot = await adapter.get(started.nativeId, undefined, {});
    expect(snapshot.status).toBe("queued");
    expect(fake.server.requestsTo("GET", "/v1/jobs/")).toHaveLength(2);
    await adapter.close?.();
  });

  it("reports a failed job with a clean one-line reason", async () => {
    fake = await startPyannoteFake({ createdPolls: 0, runningPolls: 0, failMarker: "broken" });
    const adapter = adapterFor(fake.baseUrl, fake.apiKey);
    const started = await adapter.start({ task: "diarize", media: [{ kind: "url", url: "https://m.example.com/broken.wav" }], options: {} }, {});
    const snapshot = await adapter.get(started.nativeId, undefined, {});
    expect(snapshot).toMatchObject({ status: "failed", error: { message: "Audio file could not be processed (corrupted header)" } });
    await adapter.close?.();
  });

  it("says plainly when the vendor has already deleted the output", async () => {
    fake = await startPyannoteFake({ createdPolls: 0, runningPolls: 0, outputTtlMs: 0 });
    const adapter = adapterFor(fake.baseUrl, fake.apiKey);
    const started = await adapter.start({ task: "diarize", media: [{ kind: "url", url: "https://m.example.com/a.wav" }], options: {} }, {});
    await adapter.get(started.nativeId, undefined, {});
    await new Promise((resolve) => setTimeout(resolve, 5));
    const error = await adapter.fetchResults(jobOf(started.nativeId), nullSink, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as ProviderError).message).toMatch(/no longer has this job's output/);
    await adapter.close?.();
  });

  it("maps snake_case options to the vendor's fields and refuses what the vendor would", async () => {
    fake = await startPyannoteFake();
    const adapter = adapterFor(fake.baseUrl, fake.apiKey);
    await adapter.start({ task: "diarize", media: [{ kind: "url", url: "https://m.example.com/a.wav" }], options: { num_speakers: 2, exclusive: true, turn_level_confidence: true, transcription: true, transcription_model: "parakeet" } }, {});
    expect(fake.server.requestsTo("POST", "/v1/diarize")[0]!.json).toEqual({
      url: "https://m.example.com/a.wav",
      numSpeakers: 2,
      exclusive: true,
      turnLevelConfidence: true,
      transcription: true,
      transcriptionConfig: { model: "parakeet" },
    });
    await expect(adapter.start({ task: "diarize", media: [{ kind: "url", url: "https://m.example.com/a.wav" }], options: { model: "precision-1", transcription: true } }, {})).rejects.toThrow(/precision-2 only/);
    await expect(adapter.start({ task: "diarize", media: [{ kind: "url", url: "https://m.example.com/a.wav" }], options: { min_speakers: 4, max_speakers: 2 } }, {})).rejects.toThrow(/must not exceed/);
    await expect(adapter.start({ task: "voiceprint", label: "speaker_1", media: [{ kind: "url", url: "https://m.example.com/a.wav" }], options: {} }, {})).rejects.toThrow(/must not start with "speaker_"/);
    await expect(adapter.start({ task: "diarize", media: [{ kind: "url", url: "https://m.example.com/a.wav" }, { kind: "url", url: "https://m.example.com/b.wav" }], options: {} }, {})).rejects.toThrow(/exactly one media item/);
    expect(fake.server.requestsTo("POST", "/v1/diarize")).toHaveLength(1);
    await adapter.close?.();
  });

  it("stores a voiceprint by label and keeps it out of the index and the stored raw copy", async () => {
    fake = await startPyannoteFake({ createdPolls: 0, runningPolls: 0 });
    const voiceprints = memoryVoiceprints();
    const adapter = adapterFor(fake.baseUrl, fake.apiKey, {}, voiceprints);
    const started = await adapter.start({ task: "voiceprint", label: "carol", media: [{ kind: "url", url: "https://m.example.com/carol.wav" }], options: {} }, {});
    await adapter.get(started.nativeId, undefined, {});
    const parts: string[] = [];
    const fetched = await adapter.fetchResults(jobOf(started.nativeId, "voiceprint", "carol"), { putPart: async (_name, data) => void parts.push(String(data)), appendPart: async () => undefined }, {});
    const secret = fake.voiceprintFor(started.nativeId);
    expect(JSON.stringify(fetched)).not.toContain(secret.slice(0, 30));
    expect(parts.join("")).not.toContain(secret.slice(0, 30));
    expect(parts.join("")).toContain("[stored under label carol]");
    // list_providers shows the stored labels (it reads them from the store for the caller).
    expect(adapter.describe({ voiceprints: await voiceprints.list() }).notices?.join(" ")).toContain("carol");
    await adapter.close?.();
  });
});

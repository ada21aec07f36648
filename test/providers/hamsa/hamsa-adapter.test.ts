import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ForbiddenError, ProviderError, UserInputError } from "../../../src/errors.js";
import type { JobSnapshot } from "../../../src/jobs/job.js";
import { createHamsaAdapter } from "../../../src/providers/hamsa/hamsa-adapter.js";
import type { HamsaTranscriptIndex } from "../../../src/providers/hamsa/hamsa-condense.js";
import type { ProviderAdapter, ResultSink, StartRequest } from "../../../src/providers/provider.js";
import { startHamsaFake, type HamsaFake } from "../../fakes/hamsa-fake.js";
import { jobFromSnapshot, testAdapterDeps } from "../../support/adapter-deps.js";

let fake: HamsaFake;
let adapter: ProviderAdapter;

const startRequest = (url: string, extra: Partial<StartRequest> = {}): StartRequest => ({
  task: "transcribe",
  media: [{ kind: "url", url }],
  options: {},
  ...extra,
});

const jobFrom = (snapshot: JobSnapshot) => jobFromSnapshot("hamsa", "transcribe", snapshot);

function memorySink(): ResultSink & { parts: Map<string, Buffer> } {
  const parts = new Map<string, Buffer>();
  const bytes = (data: Uint8Array | string) => (typeof data === "string" ? Buffer.from(data) : Buffer.from(data));
  return {
    parts,
    putPart: async (name, data) => void parts.set(name, bytes(data)),
    appendPart: async (name, data) => void parts.set(name, Buffer.concat([parts.get(name) ?? Buffer.alloc(0), bytes(data)])),
  };
}

async function runToEnd(url: string, options: Record<string, unknown> = {}) {
  const started = await adapter.start(startRequest(url, { options }), {});
  let snapshot = started;
  for (let poll = 0; poll < 5 && (snapshot.status === "queued" || snapshot.status === "running"); poll++) {
    snapshot = await adapter.get(started.nativeId, undefined, {});
  }
  return { started, snapshot };
}

beforeEach(async () => {
  fake = await startHamsaFake({ pendingPolls: 2 });
  adapter = createHamsaAdapter(testAdapterDeps({ HAMSA_API_KEY: fake.apiKey, HAMSA_BASE_URL: fake.baseUrl, HAMSA_PROJECT_ID: fake.projectId }));
});
afterEach(async () => {
  await adapter.close?.();
  fake.server.assertAllHandled();
  await fake.close();
});

describe("Hamsa adapter against the fake", () => {
  it("submits the documented body, polls PENDING → COMPLETED and stores an Arabic transcript", async () => {
    const started = await adapter.start(startRequest("https://media.example/arabic-segments.mp3", { label: "Episode 12" }), {});
    expect(started).toMatchObject({ status: "queued", task: "transcribe", inputs: [{ kind: "url", url: "https://media.example/arabic-segments.mp3" }] });
    const [submitted] = fake.server.requestsTo("POST", "/v1/jobs/transcribe");
    expect(submitted!.headers.authorization).toBe(`Token ${fake.apiKey}`);
    expect(submitted!.json).toEqual({
      mediaUrl: "https://media.example/arabic-segments.mp3",
      model: "Hamsa-General-V2.0",
      processingType: "async",
      language: "ar",
      title: "Episode 12",
    });

    const first = await adapter.get(started.nativeId, undefined, {});
    expect(first).toMatchObject({ status: "running", providerStatus: "PENDING" });
    await adapter.get(started.nativeId, undefined, {});
    const done = await adapter.get(started.nativeId, undefined, {});
    expect(done).toMatchObject({ status: "succeeded", providerStatus: "COMPLETED", label: "Episode 12" });

    const sink = memorySink();
    const fetched = await adapter.fetchResults(jobFrom(done), sink, {});
    expect(JSON.parse(sink.parts.get("raw.json")!.toString()).data.id).toBe(started.nativeId);
    expect(fetched.description).toBe("transcript: 26 words, 6 segments, ar");
    const index = fetched.index as HamsaTranscriptIndex;
    expect(index).toMatchObject({ totalCost: 0.25, usageTime: "20", model: "Hamsa-General-V2.0" });

    const view = adapter.condense({ job: jobFrom(done), index: JSON.parse(JSON.stringify(fetched.index)), query: { top_k: 5, query: "النفط" } });
    expect(view.sections[0]!.rows.find((row) => row.startsWith("»"))).toBe("» [0:10.2–0:12.9] SPEAKER_00: ما رأيك في أسعار النفط؟");
    expect(view.summary).toContain("Billing: cost 0.25, usage time 20");
  });

  it.each([
    ["text-only", "transcript: 11 words, 3 sentences, ar"],
    ["transcript-key", "transcript: 9 words, 2 sentences, en"],
    ["utterances-ms", "transcript: 13 words, 3 segments, ar"],
    ["words", "transcript: 7 words, 2 segments, ar"],
    ["json-string", "transcript: 10 words, 2 segments, ar"],
    ["srt", "transcript: 5 words, 2 segments, ar"],
    // Unrecognized: every string in it is kept, the version number included.
    ["unknown-shape", "transcript: 5 words, 2 sentences, ar"],
  ])("reads the %s jobResponse shape end to end", async (shape, description) => {
    const { snapshot } = await runToEnd(`https://media.example/${shape}.wav`);
    expect(snapshot.status).toBe("succeeded");
    const fetched = await adapter.fetchResults(jobFrom(snapshot), memorySink(), {});
    expect(fetched.description).toBe(description);
    const view = adapter.condense({ job: jobFrom(snapshot), index: fetched.index, query: { top_k: 5 } });
    expect(view.sections[0]!.rows.length).toBeGreaterThan(0);
  });

  it("reports a FAILED job with Hamsa's reason, sanitized", async () => {
    const { snapshot } = await runToEnd("https://media.example/failed.mp3");
    expect(snapshot).toMatchObject({
      status: "failed",
      providerStatus: "FAILED",
      error: { code: "provider_failed", message: "Hamsa: Media could not be downloaded: 403 from origin" },
    });
  });

  it("passes model, language and SRT options and refuses bad ones with the accepted values", async () => {
    await adapter.start(startRequest("https://media.example/a.mp3", { options: { model: "Hamsa-Conversational-V1.0", language: "en", return_srt: true } }), {});
    expect(fake.server.requestsTo("POST", "/v1/jobs/transcribe")[0]!.json).toMatchObject({
      model: "Hamsa-Conversational-V1.0",
      language: "en",
      returnSrtFormat: true,
    });
    await expect(adapter.start(startRequest("https://media.example/a.mp3", { options: { model: "whisper" } }), {})).rejects.toThrow(
      /options.model: .*Hamsa-General-V2.0 or Hamsa-Conversational-V1.0/,
    );
    await expect(adapter.start(startRequest("https://media.example/a.mp3", { options: { lang: "ar" } }), {})).rejects.toThrow(
      /Hamsa accepts only: model, language, return_srt/,
    );
    expect(fake.server.requestsTo("POST", "/v1/jobs/transcribe")).toHaveLength(1);
  });

  it("turns a malformed job answer into a retryable ProviderError, not a crash", async () => {
    const started = await adapter.start(startRequest("https://media.example/a.mp3"), {});
    fake.server.injectFault({ kind: "malformed-json" }, { method: "GET", pathPrefix: "/v1/jobs", times: 5 });
    const error = await adapter.get(started.nativeId, undefined, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(true);
  });

  it("refuses a local file clearly: Hamsa needs a public URL", async () => {
    const request: StartRequest = { task: "transcribe", media: [{ kind: "path", path: "/data/a.wav", name: "a.wav", bytes: 10 }], options: {} };
    const error = await adapter.start(request, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as Error).message).toMatch(/Hamsa needs a public https URL .* no upload endpoint/);
    expect(fake.server.requestsTo("POST", "/v1/jobs/transcribe")).toHaveLength(0);
  });

  it("lists remote jobs newest first with an opaque cursor when a project id is set", async () => {
    for (const name of ["a", "b", "c"]) await adapter.start(startRequest(`https://media.example/${name}.mp3`), {});
    const first = await adapter.list!({ limit: 2 }, {});
    expect(first.items.map((item) => item.inputs?.[0])).toEqual([
      { kind: "url", url: "https://media.example/c.mp3" },
      { kind: "url", url: "https://media.example/b.mp3" },
    ]);
    expect(first.nextCursor).toBeTypeOf("string");
    const second = await adapter.list!({ limit: 2, cursor: first.nextCursor }, {});
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
    expect(fake.server.requestsTo("POST", "/v1/jobs/all")[1]!.json).toMatchObject({ take: 2, skip: 2 });
    await expect(adapter.list!({ limit: 2, cursor: "bogus" }, {})).rejects.toThrow(UserInputError);
  });

  it("has no list without a project id, and says so", () => {
    const plain = createHamsaAdapter(testAdapterDeps({ HAMSA_API_KEY: fake.apiKey, HAMSA_BASE_URL: fake.baseUrl }));
    expect(plain.list).toBeUndefined();
    expect(plain.describe()).toMatchObject({ canListRemote: false, notices: ["remote listing needs HAMSA_PROJECT_ID"] });
  });

  it("fails with a ProviderError that never shows the API key when the key is wrong", async () => {
    const wrongKey = "hamsa-wrong-key-abcdef";
    const wrong = createHamsaAdapter(testAdapterDeps({ HAMSA_API_KEY: wrongKey, HAMSA_BASE_URL: fake.baseUrl }));
    const error = await wrong.start(startRequest("https://media.example/a.mp3"), {}).catch((caught: unknown) => caught);
    await wrong.close?.();
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).status).toBe(401);
    expect(JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack })).not.toContain(wrongKey);
  });

  it("verifies Hamsa's callback by its Authorization, once", async () => {
    const started = await adapter.start(startRequest("https://media.example/a.mp3", { webhookUrl: "https://mcp.example/webhooks/hamsa" }), {});
    const body = fake.server.requestsTo("POST", "/v1/jobs/transcribe")[0]!.json as { webhookUrl: string; webhookAuth: { authSecret: string } };
    expect(body.webhookUrl).toBe("https://mcp.example/webhooks/hamsa");
    expect(body.webhookAuth.authSecret).not.toContain(fake.apiKey);
    const delivery = fake.webhookRequestFor(started.nativeId);
    expect(await adapter.handleWebhook!({ headers: delivery.headers, rawBody: delivery.rawBody })).toEqual({ nativeId: started.nativeId });
    await expect(adapter.handleWebhook!({ headers: delivery.headers, rawBody: delivery.rawBody })).rejects.toThrow(/replay/);
    await expect(adapter.handleWebhook!({ headers: { authorization: "Bearer nope" }, rawBody: delivery.rawBody })).rejects.toThrow(ForbiddenError);
  });
});

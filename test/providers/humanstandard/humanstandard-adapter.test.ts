import { afterEach, describe, expect, it } from "vitest";
import { renderWithinBudget, tokensOf } from "../../../src/condense/render.js";
import { ForbiddenError, UserInputError } from "../../../src/errors.js";
import type { JobSnapshot } from "../../../src/jobs/job.js";
import { createRequestBudget } from "../../../src/providers/http/request-budget.js";
import { createHumanStandardAdapter, type HumanStandardAdapterOverrides } from "../../../src/providers/humanstandard/humanstandard-adapter.js";
import type { ProvenanceIndex } from "../../../src/providers/humanstandard/humanstandard-results-index.js";
import type { MediaInput, ProviderAdapter, ResultSink, StartRequest } from "../../../src/providers/provider.js";
import {
  HUMANSTANDARD_FAKE_WEBHOOK_SECRET,
  startHumanStandardFake,
  type HumanStandardFake,
  type HumanStandardFakeOptions,
} from "../../fakes/humanstandard-fake.js";
import { jobFromSnapshot, testAdapterDeps } from "../../support/adapter-deps.js";

const opened: Array<{ fake: HumanStandardFake; adapter: ProviderAdapter }> = [];

afterEach(async () => {
  for (const { fake, adapter } of opened.splice(0)) {
    await adapter.close?.();
    fake.server.assertAllHandled();
    await fake.close();
  }
});

async function setup(options: HumanStandardFakeOptions = {}, overrides: HumanStandardAdapterOverrides = {}) {
  const fake = await startHumanStandardFake(options);
  const deps = testAdapterDeps(
    { HUMANSTANDARD_API_KEY: fake.apiKey, HUMANSTANDARD_BASE_URL: fake.baseUrl, HUMANSTANDARD_WEBHOOK_SECRET, MEDIA_JOBS_HTTP_TIMEOUT_MS: "20000" },
    { logLevel: "error" },
  );
  const adapter = createHumanStandardAdapter(deps, overrides);
  opened.push({ fake, adapter });
  return { fake, adapter };
}

const HUMANSTANDARD_WEBHOOK_SECRET = HUMANSTANDARD_FAKE_WEBHOOK_SECRET;

const urls = (count: number): MediaInput[] =>
  Array.from({ length: count }, (_, position) => ({ kind: "url", url: `https://cdn.example/catalog/${String(position + 1).padStart(3, "0")}-song.mp3` }));

const request = (media: MediaInput[], extra: Partial<StartRequest> = {}): StartRequest => ({ task: "provenance", media, options: {}, ...extra });

const jobFrom = (snapshot: JobSnapshot) => jobFromSnapshot("humanstandard", "provenance", snapshot);

/** A sink like the store's: appends chunks as they come, counting them. */
function countingSink(): ResultSink & { chunks: number; stored: () => Buffer } {
  const parts: Buffer[] = [];
  const sink = {
    chunks: 0,
    async putPart(_name: string, data: Uint8Array | string) {
      parts.length = 0;
      if (data.length > 0) parts.push(Buffer.from(data));
    },
    async appendPart(_name: string, data: Uint8Array | string) {
      sink.chunks++;
      parts.push(Buffer.from(data));
    },
    stored: () => Buffer.concat(parts),
  };
  return sink;
}

async function pollToEnd(adapter: ProviderAdapter, nativeId: string): Promise<JobSnapshot[]> {
  const seen: JobSnapshot[] = [];
  for (let poll = 0; poll < 10; poll++) {
    const snapshot = await adapter.get(nativeId, undefined, {});
    seen.push(snapshot);
    if (snapshot.status !== "queued" && snapshot.status !== "running") break;
  }
  return seen;
}

describe("HumanStandard adapter against the fake", () => {
  it("submits items with derived ids and an Idempotency-Key, reports growing progress, then streams results", async () => {
    const { fake, adapter } = await setup({ pollsToComplete: 3 });
    const media: MediaInput[] = [...urls(5), { kind: "id", id: "isrc-USX9P2400001", url: "https://cdn.example/other/take.mp3" }];
    const started = await adapter.start(request(media, { label: "Q1 Catalog Scan", idempotencyKey: "key-123" }), {});
    expect(started).toMatchObject({ status: "queued", providerStatus: "queued", label: "Q1 Catalog Scan", progress: { done: 0, total: 6, unit: "tracks" } });
    const [submitted] = fake.server.requestsTo("POST", "/jobs");
    expect(submitted!.headers["idempotency-key"]).toBe("key-123");
    expect(submitted!.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    const body = submitted!.json as { name: string; items: Array<{ item_id: string; url: string }> };
    expect(body.name).toBe("Q1 Catalog Scan");
    expect(body.items.map((item) => item.item_id)).toEqual(["001-song", "002-song", "003-song", "004-song", "005-song", "isrc-USX9P2400001"]);

    const snapshots = await pollToEnd(adapter, started.nativeId);
    expect(snapshots.map((snapshot) => snapshot.status)).toEqual(["running", "running", "succeeded"]);
    expect(snapshots.map((snapshot) => snapshot.progress?.done)).toEqual([2, 4, 6]);
    expect(snapshots.at(-1)).toMatchObject({ providerStatus: "complete", endedAt: "2026-03-01T11:00:00Z" });

    const sink = countingSink();
    const fetched = await adapter.fetchResults(jobFrom(snapshots.at(-1)!), sink, {});
    const index = fetched.index as ProvenanceIndex;
    const truth = fake.truthCounts(started.nativeId);
    expect(index.verdicts).toEqual({ human: truth.human, suspicious: truth.suspicious, failed: truth.failed, unknown: truth.unknown });
    expect(sink.stored().toString().trim().split("\n")).toHaveLength(6);
  });

  it("answers a repeated start with the same job: the Idempotency-Key makes the POST safe to resend", async () => {
    const { adapter } = await setup();
    const first = await adapter.start(request(urls(2), { idempotencyKey: "same" }), {});
    const second = await adapter.start(request(urls(2), { idempotencyKey: "same" }), {});
    expect(second.nativeId).toBe(first.nativeId);
  });

  it("validates inputs before calling HumanStandard", async () => {
    const { fake, adapter } = await setup();
    await expect(adapter.start(request(urls(10_001)), {})).rejects.toThrow(/at most 10,000 items .* options.manifest_url/);
    await expect(adapter.start(request([{ kind: "url", url: "http://cdn.example/a.mp3" }]), {})).rejects.toThrow(/needs https URLs/);
    await expect(adapter.start(request([{ kind: "path", path: "/music/a.mp3", name: "a.mp3", bytes: 1 }]), {})).rejects.toThrow(UserInputError);
    await expect(
      adapter.start(request(urls(1), { options: { manifest_url: "https://store.example/manifest.ndjson" } }), {}),
    ).rejects.toThrow(/either media items or options.manifest_url/);
    await expect(adapter.start(request(urls(1), { options: { manifest: "x" } }), {})).rejects.toThrow(/accepts only manifest_url/);
    expect(fake.server.requestsTo("POST", "/jobs")).toHaveLength(0);
  });

  it("summarizes a 50,000-track manifest job streamed page by page, within the token budget", async () => {
    const { fake, adapter } = await setup({ pollsToComplete: 1, corruptRecordsAt: [12_345] });
    const manifest = "https://store.example/manifest.ndjson?tracks=50000";
    const started = await adapter.start(request([{ kind: "url", url: manifest }], { options: { manifest_url: manifest } }), {});
    expect(fake.server.requestsTo("POST", "/jobs")[0]!.json).toMatchObject({ manifest_url: manifest });
    expect(started.inputs).toEqual([{ kind: "url", url: manifest }]);
    const [done] = await pollToEnd(adapter, started.nativeId);
    expect(done).toMatchObject({ status: "succeeded", progress: { done: 50_000, total: 50_000 } });

    const sink = countingSink();
    const fetched = await adapter.fetchResults(jobFrom(done!), sink, {});
    expect(fake.server.requestsTo("GET", `/jobs/${started.nativeId}/results`)).toHaveLength(50);
    // Streamed: many appends (several per page), never the whole result at once.
    expect(sink.chunks).toBeGreaterThan(50);
    expect(sink.stored().toString().split("\n").filter(Boolean)).toHaveLength(50_000);

    const index = JSON.parse(JSON.stringify(fetched.index)) as ProvenanceIndex;
    const truth = fake.truthCounts(started.nativeId);
    expect(index.malformedLines).toBe(1);
    expect(index.records).toBe(49_999);
    expect(index.verdicts).toEqual({ human: truth.human, suspicious: truth.suspicious, failed: truth.failed, unknown: truth.unknown });
    expect(index.origins).toEqual(truth.origins);
    expect(index.tracks.id[0]).toBe(truth.mostSuspicious);
    // Compact: well under 100 bytes per track once serialized.
    expect(JSON.stringify(index).length / 50_000).toBeLessThan(100);

    const job = { ...jobFrom(done!), status: "succeeded" as const, resultState: "stored" as const };
    for (const query of [{ top_k: 5 }, { top_k: 5, verdict: "suspicious" }, { top_k: 5, origin: "suno" }, { top_k: 5, view: "failed" }]) {
      const view = adapter.condense({ job, index, query });
      const rendered = renderWithinBudget({
        jobId: job.id,
        status: job.status,
        header: [`${job.id} — provenance by HumanStandard`],
        view,
        query,
        maxTokens: 1_500,
        resultUri: "media-jobs://jobs/x/result",
      });
      expect(tokensOf(rendered)).toBeLessThanOrEqual(1_500);
      expect(rendered.structuredContent.rows_shown).toBeGreaterThan(0);
      expect(rendered.structuredContent.next_cursor).not.toBeNull();
    }
    const suspicious = adapter.condense({ job, index, query: { top_k: 5, verdict: "suspicious" } });
    expect(suspicious.sections[0]!.rows).toHaveLength(truth.suspicious);
    expect(suspicious.sections[0]!.rows[0]!.startsWith(`${truth.mostSuspicious} · truth `)).toBe(true);
  });

  it("starts the stored part over when a results fetch is retried after a failure midway", async () => {
    // Page 2 answers 404 once (not retried by the client), as if the vendor hiccuped mid-download.
    const { adapter } = await setup({ pollsToComplete: 1, failResultsPageOnce: 2 });
    const manifest = "https://store.example/manifest.ndjson?tracks=2500";
    const started = await adapter.start(request([{ kind: "url", url: manifest }], { options: { manifest_url: manifest } }), {});
    const [done] = await pollToEnd(adapter, started.nativeId);
    const sink = countingSink();
    await expect(adapter.fetchResults(jobFrom(done!), sink, {})).rejects.toThrow();
    expect(sink.stored().toString().split("\n").filter(Boolean)).toHaveLength(1_000);
    const fetched = await adapter.fetchResults(jobFrom(done!), sink, {});
    expect((fetched.index as ProvenanceIndex).records).toBe(2_500);
    expect(sink.stored().toString().split("\n").filter(Boolean)).toHaveLength(2_500);
  });

  it("accepts 'completed' as the terminal word too and maps failed jobs with their reason", async () => {
    const { adapter } = await setup({ completeStatus: "completed", pollsToComplete: 1 });
    const ok = await adapter.start(request(urls(1)), {});
    expect((await pollToEnd(adapter, ok.nativeId)).at(-1)).toMatchObject({ status: "succeeded", providerStatus: "completed" });
    const bad = await adapter.start(request(urls(1), { label: "scan [fail]" }), {});
    expect((await pollToEnd(adapter, bad.nativeId)).at(-1)).toMatchObject({
      status: "failed",
      error: { code: "provider_failed", message: "HumanStandard: manifest could not be downloaded" },
    });
  });

  it("waits for X-RateLimit-Reset when Remaining reaches 0 instead of collecting 429s", async () => {
    // The fake allows 2 requests per second; the shared budget alone would allow far more.
    const { fake, adapter } = await setup({ rateLimit: { limit: 2, windowMs: 1_000 } }, { budget: createRequestBudget({ requestsPerMinute: 6_000 }) });
    const started = await adapter.start(request(urls(1)), {});
    // POST leaves 1, the first GET leaves 0: the second GET must wait for the next window.
    for (let poll = 0; poll < 2; poll++) await adapter.get(started.nativeId, undefined, {});
    expect(fake.rateLimitedCount()).toBe(0);
    expect(fake.server.requestsTo("GET", "/jobs/")).toHaveLength(2);
  });

  it("verifies webhooks: valid, tampered, replayed, track.complete", async () => {
    const { fake, adapter } = await setup();
    const started = await adapter.start(request(urls(3), { webhookUrl: "https://mcp.example/webhooks/humanstandard" }), {});
    expect(fake.server.requestsTo("POST", "/jobs")[0]!.json).toMatchObject({ webhook_url: "https://mcp.example/webhooks/humanstandard" });

    const track = await adapter.handleWebhook!(fake.signedWebhook(fake.trackCompleteEvent(started.nativeId, 1)));
    expect(track.snapshot?.status).toBe("running");

    const complete = fake.signedWebhook(fake.jobCompleteEvent(started.nativeId));
    expect(await adapter.handleWebhook!(complete)).toMatchObject({ nativeId: started.nativeId, snapshot: { status: "succeeded" } });
    await expect(adapter.handleWebhook!(complete)).rejects.toThrow(/replay/);

    const tampered = { headers: complete.headers, rawBody: Buffer.from(complete.rawBody.toString().replace("job.complete", "job.failed")) };
    await expect(adapter.handleWebhook!(tampered)).rejects.toThrow(ForbiddenError);
  });
});

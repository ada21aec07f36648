// Issue 5's "done when" for Hamsa and HumanStandard, through the built CLI over --http:
// a Hamsa transcript searched and paged; a 50,000-track HumanStandard job summarized within
// the budget; HumanStandard webhooks valid, tampered and replayed at the real endpoint.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { tokensOf } from "../../src/condense/render.js";
import { startHamsaFake, type HamsaFake } from "../fakes/hamsa-fake.js";
import { HUMANSTANDARD_FAKE_WEBHOOK_SECRET, startHumanStandardFake, type HumanStandardFake } from "../fakes/humanstandard-fake.js";
import { callTool, startHttp, structured, tempDataDir, textOf, waitForJob, type HttpChild } from "./harness.js";

let hamsa: HamsaFake;
let humanStandard: HumanStandardFake;
let server: HttpChild;
let client: Client;

beforeAll(async () => {
  hamsa = await startHamsaFake({ pendingPolls: 1 });
  humanStandard = await startHumanStandardFake({ pollsToComplete: 2 });
  server = await startHttp({
    HAMSA_API_KEY: hamsa.apiKey,
    HAMSA_BASE_URL: hamsa.baseUrl,
    HAMSA_PROJECT_ID: hamsa.projectId,
    HUMANSTANDARD_API_KEY: humanStandard.apiKey,
    HUMANSTANDARD_BASE_URL: humanStandard.baseUrl,
    HUMANSTANDARD_WEBHOOK_SECRET: HUMANSTANDARD_FAKE_WEBHOOK_SECRET,
    MEDIA_JOBS_DATA_DIR: tempDataDir(),
  });
  client = await server.connect();
});

afterAll(async () => {
  await server?.close();
  await hamsa?.close();
  await humanStandard?.close();
});

describe("Hamsa transcription over --http", () => {
  it("transcribes, then searches the transcript with context, accent- and tatweel-insensitively", async () => {
    const started = structured<{ job: { job_id: string } }>(
      await callTool(client, "start_job", { provider: "hamsa", media: [{ url: "https://media.example.com/arabic-segments.mp3" }], options: { language: "ar" } }),
    );
    expect(await waitForJob(client, started.job.job_id)).toMatchObject({ status: "succeeded", results: "stored" });
    const whole = await callTool(client, "get_predictions", { job_id: started.job.job_id });
    expect(textOf(whole)).toMatch(/البرنامج/);
    // "الأسعار" matches the stored "الأسعـــار" (tatweel) — and the neighbouring segment comes along.
    const found = await callTool(client, "get_predictions", { job_id: started.job.job_id, query: "الاسعار" });
    expect(found.isError, textOf(found)).toBeFalsy();
    const text = textOf(found);
    expect(text).toMatch(/ارتفعت كثيراً/);
    expect(text).toMatch(/أسعار النفط/);
    expect(text).not.toMatch(/مرحباً بكم|مَرْحَباً/);
  });

  it("refuses a local path with a clear message: Hamsa needs a public URL", async () => {
    const refused = await callTool(client, "start_job", { provider: "hamsa", media: [{ path: "talk.mp3" }] });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/does not accept path inputs.*public https URL/);
  });
});

describe("HumanStandard catalog provenance over --http", () => {
  it("summarizes a 50,000-track catalog within the budget, with counts equal to the truth", async () => {
    const manifest = "https://store.example.com/catalog.ndjson?tracks=50000";
    const started = structured<{ job: { job_id: string } }>(
      await callTool(client, "start_job", { provider: "humanstandard", media: [{ url: manifest }], options: { manifest_url: manifest }, label: "Back catalog", idempotency_key: "catalog-2026-11" }),
    );
    const again = structured<{ job: { job_id: string }; deduplicated: boolean }>(
      await callTool(client, "start_job", { provider: "humanstandard", media: [{ url: manifest }], options: { manifest_url: manifest }, label: "Back catalog", idempotency_key: "catalog-2026-11" }),
    );
    expect(again).toMatchObject({ job: { job_id: started.job.job_id }, deduplicated: true });
    expect(humanStandard.server.requestsTo("POST", "/jobs")).toHaveLength(1);
    // The vendor gets the submission's own key, not the caller's: idempotency keys are per owner
    // here but per account at HumanStandard, where two owners' equal keys would collide.
    expect(humanStandard.server.requestsTo("POST", "/jobs")[0]!.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);

    expect(await waitForJob(client, started.job.job_id, 120)).toMatchObject({ status: "succeeded", results: "stored" });
    const truth = humanStandard.truthCounts(started.job.job_id.replace("humanstandard:", ""));
    const answer = await callTool(client, "get_predictions", { job_id: started.job.job_id, max_tokens: 1_500 });
    expect(answer.isError, textOf(answer)).toBeFalsy();
    expect(tokensOf(answer)).toBeLessThanOrEqual(1_500);
    expect(textOf(answer)).toContain(`${truth.suspicious.toLocaleString("en-US")} suspicious`);
    expect(textOf(answer)).toContain(String(truth.mostSuspicious));
    const suno = await callTool(client, "get_predictions", { job_id: started.job.job_id, origin: "suno", max_tokens: 800 });
    expect((suno.structuredContent as { rows_total: number }).rows_total).toBe(truth.origins.suno);
  });

  it("accepts a signed job.complete webhook once, and refuses tampered and replayed ones", async () => {
    const started = structured<{ job: { job_id: string } }>(
      await callTool(client, "start_job", { provider: "humanstandard", media: [{ id: "t-1", url: "https://cdn.example.com/1.mp3" }, { id: "t-2", url: "https://cdn.example.com/2.mp3" }] }),
    );
    const nativeId = started.job.job_id.replace("humanstandard:", "");
    humanStandard.complete(nativeId);
    const hookUrl = server.url.replace(/\/mcp$/, "/webhooks/humanstandard");
    const event = humanStandard.jobCompleteEvent(nativeId);
    expect(await humanStandard.deliverWebhook(hookUrl, event, "not-the-secret")).toBe(401);
    expect(await humanStandard.deliverWebhook(hookUrl, event)).toBe(200);
    expect(await humanStandard.deliverWebhook(hookUrl, event)).toBe(401);
    expect(await waitForJob(client, started.job.job_id)).toMatchObject({ status: "succeeded", results: "stored" });
  });
});

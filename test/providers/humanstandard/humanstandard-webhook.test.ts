import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForbiddenError } from "../../../src/errors.js";
import { verifyHumanStandardWebhook } from "../../../src/providers/humanstandard/humanstandard-webhook.js";
import { HUMANSTANDARD_FAKE_WEBHOOK_SECRET, startHumanStandardFake, type HumanStandardFake } from "../../fakes/humanstandard-fake.js";
import { memoryReplayGuard } from "../../support/adapter-deps.js";

let fake: HumanStandardFake;
let jobId: string;

beforeAll(async () => {
  fake = await startHumanStandardFake();
  const response = await fetch(`${fake.baseUrl}/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${fake.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "webhooks", items: [{ item_id: "t1", url: "https://cdn.example/1.mp3" }, { item_id: "t2", url: "https://cdn.example/2.mp3" }] }),
  });
  jobId = ((await response.json()) as { id: string }).id;
});
afterAll(async () => {
  fake.server.assertAllHandled();
  await fake.close();
});

const secret = HUMANSTANDARD_FAKE_WEBHOOK_SECRET;

describe("HumanStandard webhooks", () => {
  it("turns a signed job.complete into a succeeded snapshot with counts", async () => {
    const event = await verifyHumanStandardWebhook(fake.signedWebhook(fake.jobCompleteEvent(jobId)), secret, memoryReplayGuard());
    expect(event.nativeId).toBe(jobId);
    expect(event.snapshot).toMatchObject({ nativeId: jobId, status: "succeeded", endedAt: "2026-03-01T11:00:00Z", progress: { done: 2, total: 2, unit: "tracks" } });
  });

  it("turns job.failed into a failed snapshot with a sanitized reason", async () => {
    const event = await verifyHumanStandardWebhook(fake.signedWebhook(fake.jobFailedEvent(jobId, "manifest\nunreachable")), secret, memoryReplayGuard());
    expect(event.snapshot).toMatchObject({ status: "failed", error: { code: "provider_failed", message: "HumanStandard: manifest unreachable" } });
  });

  it("never makes a job terminal from track.complete", async () => {
    const event = await verifyHumanStandardWebhook(fake.signedWebhook(fake.trackCompleteEvent(jobId, 0)), secret, memoryReplayGuard());
    expect(event.snapshot?.status).toBe("running");
    expect(event.nativeId).toBe(jobId);
  });

  it("refuses a tampered body, a wrong secret and a missing signature", async () => {
    const signed = fake.signedWebhook(fake.jobCompleteEvent(jobId));
    const tampered = { headers: signed.headers, rawBody: Buffer.from(signed.rawBody.toString().replace('"failed":', '"failed":1') ) };
    await expect(verifyHumanStandardWebhook(tampered, secret, memoryReplayGuard())).rejects.toThrow(ForbiddenError);
    await expect(verifyHumanStandardWebhook(fake.signedWebhook(fake.jobCompleteEvent(jobId), "another-secret"), secret, memoryReplayGuard())).rejects.toThrow(
      /signature does not match/,
    );
    await expect(verifyHumanStandardWebhook({ headers: {}, rawBody: signed.rawBody }, secret, memoryReplayGuard())).rejects.toThrow(/X-HS-Signature header missing/);
    await expect(verifyHumanStandardWebhook(signed, undefined, memoryReplayGuard())).rejects.toThrow(/set HUMANSTANDARD_WEBHOOK_SECRET/);
  });

  it("accepts a delivery once and refuses its replay", async () => {
    const guard = memoryReplayGuard();
    const signed = fake.signedWebhook(fake.jobCompleteEvent(jobId));
    expect((await verifyHumanStandardWebhook(signed, secret, guard)).snapshot?.status).toBe("succeeded");
    await expect(verifyHumanStandardWebhook(signed, secret, guard)).rejects.toThrow(/replay/);
  });

  it("reads the signature header whatever its case", async () => {
    const signed = fake.signedWebhook(fake.jobCompleteEvent(jobId));
    const headers = { "X-HS-Signature": signed.headers["x-hs-signature"] };
    expect((await verifyHumanStandardWebhook({ headers, rawBody: signed.rawBody }, secret, memoryReplayGuard())).nativeId).toBe(jobId);
  });
});

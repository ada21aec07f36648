// Hamsa through the whole server: start_job → wait → get_predictions (Arabic search) over MCP.

import { afterEach, expect, it } from "vitest";
import { tokensOf } from "../../../src/condense/render.js";
import { createHamsaAdapter } from "../../../src/providers/hamsa/hamsa-adapter.js";
import { startHamsaFake, type HamsaFake } from "../../fakes/hamsa-fake.js";
import { testAdapterDeps } from "../../support/adapter-deps.js";
import { startInMemoryApp, textOf, type InMemoryApp } from "../../support/in-memory-app.js";

let fake: HamsaFake | undefined;
let running: InMemoryApp | undefined;

afterEach(async () => {
  await running?.close();
  fake?.server.assertAllHandled();
  await fake?.close();
});

it("transcribes end to end and finds an Arabic phrase typed without hamza or tatweel", async () => {
  fake = await startHamsaFake({ pendingPolls: 2 });
  const env = { HAMSA_API_KEY: fake.apiKey, HAMSA_BASE_URL: fake.baseUrl };
  running = await startInMemoryApp([createHamsaAdapter(testAdapterDeps(env))], { env });
  const started = await running.client.callTool({
    name: "start_job",
    arguments: { provider: "hamsa", media: [{ url: "https://media.example/arabic-segments.mp3" }], label: "Interview", wait_seconds: 20 },
  });
  const { job } = started.structuredContent as { job: { job_id: string; status: string } };
  expect(job.status).toBe("succeeded");

  const answer = await running.client.callTool({ name: "get_predictions", arguments: { job_id: job.job_id, query: "الاسعار", max_tokens: 600 } });
  expect(answer.isError).toBeFalsy();
  expect(tokensOf(answer)).toBeLessThanOrEqual(600);
  const text = textOf(answer);
  expect(text).toContain("Language: Arabic (ar) · duration 0:19.9 · 26 words · 6 segments");
  expect(text).toContain("» [0:13.1–0:17.4] SPEAKER_01: الأسعـــار ارتفعت كثيراً هذا العام.");
});

// HumanStandard through the whole server: start_job → wait → get_predictions over MCP, with
// results streamed into the SQLite store and read back from the stored index.

import { afterEach, expect, it } from "vitest";
import { tokensOf } from "../../../src/condense/render.js";
import { createHumanStandardAdapter } from "../../../src/providers/humanstandard/humanstandard-adapter.js";
import { HUMANSTANDARD_FAKE_WEBHOOK_SECRET, startHumanStandardFake, type HumanStandardFake } from "../../fakes/humanstandard-fake.js";
import { testAdapterDeps } from "../../support/adapter-deps.js";
import { startInMemoryApp, textOf, type InMemoryApp } from "../../support/in-memory-app.js";

let fake: HumanStandardFake | undefined;
let running: InMemoryApp | undefined;

afterEach(async () => {
  await running?.close();
  fake?.server.assertAllHandled();
  await fake?.close();
});

it("scans a catalog end to end and answers get_predictions from the store within the budget", async () => {
  fake = await startHumanStandardFake({ pollsToComplete: 2 });
  const env = { HUMANSTANDARD_API_KEY: fake.apiKey, HUMANSTANDARD_BASE_URL: fake.baseUrl, HUMANSTANDARD_WEBHOOK_SECRET: HUMANSTANDARD_FAKE_WEBHOOK_SECRET };
  const adapter = createHumanStandardAdapter(testAdapterDeps(env, { logLevel: "error" }));
  running = await startInMemoryApp([adapter], { env });
  const media = Array.from({ length: 2_500 }, (_, position) => ({ url: `https://cdn.example/c/${position + 1}.mp3` }));
  const started = await running.client.callTool({
    name: "start_job",
    arguments: { provider: "humanstandard", media, label: "Back catalog", wait_seconds: 20 },
  });
  expect(started.isError).toBeFalsy();
  const { job } = started.structuredContent as { job: { job_id: string; status: string } };
  expect(job.status).toBe("succeeded");
  const jobId = job.job_id;
  const nativeId = jobId.replace("humanstandard:", "");
  const truth = fake.truthCounts(nativeId);

  const answer = await running.client.callTool({ name: "get_predictions", arguments: { job_id: jobId, verdict: "suspicious", max_tokens: 1_500 } });
  expect(answer.isError).toBeFalsy();
  expect(tokensOf(answer)).toBeLessThanOrEqual(1_500);
  const text = textOf(answer);
  expect(text).toContain(`Verdicts: ${truth.suspicious.toLocaleString("en-US")} suspicious, ${truth.human.toLocaleString("en-US")} human, ${truth.failed} failed`);
  expect(text).toContain(`${truth.mostSuspicious} · truth`);
  expect((answer.structuredContent as { rows_total: number }).rows_total).toBe(truth.suspicious);
});

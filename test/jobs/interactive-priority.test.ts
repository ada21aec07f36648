// What a user waits on goes first: with 60 running pyannoteAI jobs against the fake's
// 100 requests a minute, background polling reads their status from the /v2/jobs listing
// (not one GET per job), keeps out of the interactive reserve, and a start_job is never held
// behind it.

import { afterEach, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createRequestBudget, currentBudgetScope } from "../../src/providers/http/request-budget.js";
import { createVendorHttpClient } from "../../src/providers/http/vendor-http-client.js";
import { createPyannoteAdapter, PYANNOTE_REQUESTS_PER_MINUTE } from "../../src/providers/pyannote/pyannote-adapter.js";
import { startPyannoteFake, type PyannoteFake } from "../fakes/pyannote-fake.js";
import { testAdapterDeps } from "../support/adapter-deps.js";
import { startInMemoryApp, textOf, type InMemoryApp } from "../support/in-memory-app.js";

let running: InMemoryApp | undefined;
let fake: PyannoteFake | undefined;
afterEach(async () => {
  await running?.close();
  await fake?.close();
  running = undefined;
  fake = undefined;
});

describe("interactive calls before background polling", () => {
  it("polls 60 running jobs through the listing, and serves start_job without a wait behind them", async () => {
    fake = await startPyannoteFake({ enforceRateLimit: true, runningAfterMs: 30, succeededAfterMs: 10 * 60_000 });
    // The adapter's budget as it is built, with every wait it makes recorded with its lane.
    const waits: Array<{ lane: string; ms: number }> = [];
    const budget = createRequestBudget({
      requestsPerMinute: PYANNOTE_REQUESTS_PER_MINUTE,
      sleep: (ms, signal) => {
        waits.push({ lane: currentBudgetScope().lane, ms });
        return new Promise((resolve) => {
          const timer = setTimeout(resolve, Math.min(ms, 200));
          signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
        });
      },
    });
    const deps = testAdapterDeps(
      { PYANNOTEAI_API_KEY: fake.apiKey, PYANNOTEAI_BASE_URL: fake.baseUrl },
      { createHttpClient: (options) => createVendorHttpClient({ ...options, budget: options.budget && budget }) },
    );
    // A brisk cadence (20–100 ms between polls): background polling would spend the minute in seconds.
    running = await startInMemoryApp([createPyannoteAdapter(deps)]);
    const start = async (index: number) => {
      const result = (await running!.client.callTool({ name: "start_job", arguments: { provider: "pyannote", media: [{ url: `https://media.example.com/${index}.wav` }] } })) as CallToolResult;
      expect(result.isError, textOf(result)).toBeFalsy();
      return (result.structuredContent as { job: { job_id: string } }).job.job_id;
    };
    const jobIds: string[] = [];
    for (let index = 0; index < 60; index++) jobIds.push(await start(index));
    // Background polling runs for a while over the 60 running jobs.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const perJobGets = fake.server.requests.filter((request) => request.method === "GET" && request.path.startsWith("/v1/jobs/")).length;
    const listings = fake.server.requestsTo("GET", "/v2/jobs").length;
    expect(perJobGets).toBe(0);
    expect(listings).toBeGreaterThan(0);
    // Polled means seen running through the listing.
    const polled = (await running.app.store.getJob(jobIds[0]!))!;
    expect(polled.status).toBe("running");
    expect(polled.pollCount).toBeGreaterThan(0);

    // The user starts one more job: its POST goes at once, not after the background's minute.
    await start(60);
    const direct = (await running.client.callTool({ name: "get_job", arguments: { job_id: jobIds[59] } })) as CallToolResult;
    expect(direct.isError, textOf(direct)).toBeFalsy();
    expect(waits.filter((wait) => wait.lane === "interactive")).toEqual([]);
    // Background polling kept within its share: the vendor never had to refuse us.
    const sent = fake.server.requests.filter((request) => !request.path.startsWith("/upload")).length;
    expect(sent).toBeLessThanOrEqual(PYANNOTE_REQUESTS_PER_MINUTE);
  }, 30_000);
});

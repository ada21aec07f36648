// A wait ends by its deadline whatever the vendor's request budget does: 200 concurrent
// get_job waits on running pyannoteAI jobs, with the vendor's minute spent (a 429 asking for
// 60 s), all answer at their wait_seconds — none sits out the vendor's minute.

import { afterEach, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { RequestBudget, RequestBudgetTake } from "../../src/providers/http/types.js";
import { createVendorHttpClient } from "../../src/providers/http/vendor-http-client.js";
import { createPyannoteAdapter } from "../../src/providers/pyannote/pyannote-adapter.js";
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

interface TakeRecord {
  lane: string;
  deadlineAt?: number;
  settledAt?: number;
}

/** The adapter's own budget, with every take recorded: lane, caller's deadline, when it settled. */
function recording(budget: RequestBudget, takes: TakeRecord[]): RequestBudget {
  return {
    ...budget,
    async take(signal?: AbortSignal, request: RequestBudgetTake = {}) {
      const record: TakeRecord = { lane: request.lane ?? "interactive", deadlineAt: request.deadlineAt };
      takes.push(record);
      try {
        await budget.take(signal, request);
      } finally {
        record.settledAt = Date.now();
      }
    },
  };
}

describe("waits under a spent request budget", () => {
  it("200 concurrent get_job waits return by wait_seconds, and no budget wait runs past its caller's deadline", async () => {
    fake = await startPyannoteFake({ pollsUntilDone: 10_000 });
    const takes: TakeRecord[] = [];
    const deps = testAdapterDeps(
      { PYANNOTEAI_API_KEY: fake.apiKey, PYANNOTEAI_BASE_URL: fake.baseUrl },
      { createHttpClient: (options) => createVendorHttpClient({ ...options, budget: options.budget && recording(options.budget, takes) }) },
    );
    running = await startInMemoryApp([createPyannoteAdapter(deps)]);
    const jobIds: string[] = [];
    for (let index = 0; index < 20; index++) {
      const started = (await running.client.callTool({ name: "start_job", arguments: { provider: "pyannote", media: [{ url: `https://media.example.com/${index}.wav` }] } })) as CallToolResult;
      expect(started.isError, textOf(started)).toBeFalsy();
      jobIds.push((started.structuredContent as { job: { job_id: string } }).job.job_id);
    }
    // The vendor's minute is spent: it answers 429 and asks for 60 s of rest.
    fake.rateLimitNext({ times: 5, retryAfterSeconds: 60 });
    const direct = (await running.client.callTool({ name: "get_job", arguments: { job_id: jobIds[0] } })) as CallToolResult;
    expect(direct.isError, textOf(direct)).toBeFalsy();

    const waitSeconds = 2;
    const calls = Array.from({ length: 200 }, async (_, index) => {
      const startedAt = Date.now();
      const result = (await running!.client.callTool(
        { name: "get_job", arguments: { job_id: jobIds[index % jobIds.length], wait_seconds: waitSeconds } },
        undefined,
        { timeout: 90_000 },
      )) as CallToolResult;
      return { result, elapsedMs: Date.now() - startedAt };
    });
    const answers = await Promise.all(calls);
    for (const { result } of answers) {
      expect(result.isError, textOf(result)).toBeFalsy();
      expect((result.structuredContent as { job: { status: string } }).job.status).toMatch(/queued|running/);
    }
    // Every interactive take settled by its caller's deadline (a little scheduling slack).
    const interactive = takes.filter((take) => take.lane === "interactive" && take.deadlineAt !== undefined);
    expect(interactive.length).toBeGreaterThan(0);
    for (const take of interactive) expect(take.settledAt! - take.deadlineAt!).toBeLessThan(250);
    // And the calls ended near wait_seconds, far from the vendor's 60 s (loose: a loaded machine).
    const slowest = Math.max(...answers.map((answer) => answer.elapsedMs));
    expect(slowest).toBeLessThan((waitSeconds + 3) * 1000);
  }, 60_000);

  it("ends a wait on time when the vendor is slow to answer, the first look included", async () => {
    fake = await startPyannoteFake({ pollsUntilDone: 10_000 });
    running = await startInMemoryApp([createPyannoteAdapter(testAdapterDeps({ PYANNOTEAI_API_KEY: fake.apiKey, PYANNOTEAI_BASE_URL: fake.baseUrl }))], {
      startPoller: false,
    });
    const started = (await running.client.callTool({ name: "start_job", arguments: { provider: "pyannote", media: [{ url: "https://media.example.com/slow.wav" }] } })) as CallToolResult;
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    // Every status GET now takes 8 s to answer.
    fake.server.injectFault({ kind: "slow-headers", delayMs: 8_000 }, { times: 100, method: "GET", pathPrefix: "/v1/jobs" });
    // Last heard of a minute ago: get_job wants a fresh look before it waits.
    const stored = (await running.app.store.getJob(jobId))!;
    await running.app.store.saveJob({ ...stored, updatedAt: new Date(Date.now() - 60_000).toISOString() });
    const answers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const startedAt = Date.now();
        const result = (await running!.client.callTool({ name: "get_job", arguments: { job_id: jobId, wait_seconds: 1 } }, undefined, { timeout: 30_000 })) as CallToolResult;
        return { result, elapsedMs: Date.now() - startedAt };
      }),
    );
    for (const { result } of answers) expect(result.isError, textOf(result)).toBeFalsy();
    // Loose against a loaded machine; the vendor's answer would have come after 8 s.
    expect(Math.max(...answers.map((answer) => answer.elapsedMs))).toBeLessThan(3_500);
  }, 60_000);
});

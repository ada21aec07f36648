// get_predictions filters over every provider × task × filter, through a real MCP client: a
// filter the job's task applies narrows the answer; any other is refused with the filters the
// job accepts (an answer that silently ignored `speaker` read as if it were filtered).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createAdapters } from "../../src/providers/all-providers.js";
import { acceptedFilters, FILTER_ARGUMENTS, type FilterArgument } from "../../src/tools/predictions.js";
import { testAdapterDeps } from "../support/adapter-deps.js";
import { startInMemoryApp, textOf, type InMemoryApp } from "../support/in-memory-app.js";
import { storedFixtures } from "../support/prediction-fixtures.js";

const KEYS = { HUME_API_KEY: "hume-key", PYANNOTEAI_API_KEY: "pyannote-key", HAMSA_API_KEY: "hamsa-key", HUMANSTANDARD_API_KEY: "hs-key" };

/** A value each filter accepts on these fixtures. */
const VALUES: Record<FilterArgument, unknown> = {
  file: "0",
  model: "prosody",
  speaker: "SPEAKER_00",
  start_s: 1,
  end_s: 9,
  top_k: 1,
  query: "الأسعار",
  verdict: "suspicious",
  origin: "suno",
};

let running: InMemoryApp;
const jobs: Array<{ id: string; provider: string; task: string }> = [];

beforeAll(async () => {
  running = await startInMemoryApp(createAdapters(testAdapterDeps({ ...KEYS, MEDIA_JOBS_DATA_DIR: "/nonexistent" })), { startPoller: false });
  for (const [position, fixture] of storedFixtures().entries()) {
    const id = `${fixture.provider}:fixture-${position}`;
    await running.app.store.insertJob({
      id,
      provider: fixture.provider,
      nativeId: `fixture-${position}`,
      task: fixture.task,
      ...(fixture.task === "voiceprint" ? { label: "alice" } : {}),
      status: "succeeded",
      inputs: [{ kind: "url", url: "https://media.example/interview.mp3" }],
      options: {},
      createdAt: "2026-03-01T10:00:00Z",
      updatedAt: "2026-03-01T10:01:00Z",
      resultState: "stored",
      pollCount: 1,
    });
    await running.app.store.putResultIndex(id, fixture.index);
    jobs.push({ id, provider: fixture.provider, task: fixture.task });
  }
});
afterAll(async () => running?.close());

async function predictions(args: Record<string, unknown>): Promise<CallToolResult> {
  return (await running.client.callTool({ name: "get_predictions", arguments: args })) as CallToolResult;
}

describe("get_predictions filters", () => {
  it("every declared filter of every task is one get_predictions takes", () => {
    for (const adapter of running.app.providers.list()) {
      for (const task of adapter.describe().tasks) {
        expect(acceptedFilters(task)).toHaveLength(task.filters.flatMap((entry) => entry.split(" ")[0]!.split("/")).length);
      }
    }
  });

  it("refuses, for every provider and task, each filter the task does not apply, naming the ones it does", async () => {
    expect(jobs.map((job) => `${job.provider} ${job.task}`)).toEqual([
      "local acoustic",
      "pyannote diarize",
      "pyannote identify",
      "pyannote voiceprint",
      "hume expression",
      "hamsa transcribe",
      "humanstandard provenance",
    ]);
    let refused = 0;
    let applied = 0;
    for (const job of jobs) {
      const info = running.app.providers.require(job.provider as never).describe().tasks.find((task) => task.task === job.task)!;
      const accepted = acceptedFilters(info);
      const plain = await predictions({ job_id: job.id });
      expect(plain.isError, `${job.provider} ${job.task}: ${textOf(plain)}`).toBeFalsy();
      for (const filter of FILTER_ARGUMENTS) {
        const value = job.provider === "hume" && filter === "speaker" ? "spk_0" : VALUES[filter];
        const answer = await predictions({ job_id: job.id, [filter]: value });
        const text = textOf(answer);
        if (accepted.includes(filter)) {
          applied++;
          // Applied: answered, not refused…
          expect(text, `${job.provider} ${job.task} ${filter}`).not.toMatch(/cannot be narrowed/);
          expect(answer.isError, `${job.provider} ${job.task} ${filter}: ${text}`).toBeFalsy();
          // …and it narrows: the answer is not the unfiltered one.
          expect(text, `${job.provider} ${job.task} ${filter}`).not.toBe(textOf(plain));
        } else {
          refused++;
          expect(answer.isError, `${job.provider} ${job.task} ${filter}: ${text}`).toBe(true);
          expect(text).toContain(`${job.provider} ${job.task} results cannot be narrowed by ${filter}`);
          expect(text).toContain(accepted.length > 0 ? `this job accepts: ${accepted.join(", ")}` : "this job accepts no filters");
        }
      }
    }
    expect(refused).toBeGreaterThan(30);
    expect(applied).toBeGreaterThan(15);
  });

  it("names every unused filter of one call at once", async () => {
    const local = jobs.find((job) => job.provider === "local")!;
    const answer = await predictions({ job_id: local.id, speaker: "A", model: "face", start_s: 1 });
    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toMatch(/^local acoustic results cannot be narrowed by model, speaker; this job accepts: file, start_s, end_s \(views: summary, segments\)\. Call get_predictions again without them/);
  });

  it("pages to the end through get_predictions at small budgets for every provider and task (the reported 300-token stall)", async () => {
    for (const job of jobs) {
      for (const budget of [200, 230, 300, 370, 450]) {
        let cursor: string | undefined;
        let seen = 0;
        let total = -1;
        for (let page = 0; ; page++) {
          expect(page, `${job.id} at ${budget}: paging did not end`).toBeLessThan(500);
          const answer = await predictions({ job_id: job.id, max_tokens: budget, ...(cursor ? { cursor } : {}) });
          expect(answer.isError, textOf(answer)).toBeFalsy();
          expect(Math.ceil(Buffer.byteLength(JSON.stringify(answer)) / 4)).toBeLessThanOrEqual(budget);
          const structured = answer.structuredContent as { rows_shown: number; rows_total: number; first_row: number; next_cursor: string | null };
          expect(structured.rows_shown > 0 || cursor === undefined, `${job.id} at ${budget}: a continuation page without rows: ${JSON.stringify(answer)}`).toBe(true);
          if (structured.rows_shown > 0) expect(structured.first_row).toBe(seen + 1);
          seen += structured.rows_shown;
          total = structured.rows_total;
          if (!structured.next_cursor) break;
          expect(structured.next_cursor).not.toBe(cursor);
          cursor = structured.next_cursor;
        }
        expect(seen, `${job.id} at ${budget}`).toBe(total);
      }
    }
  }, 60_000);
});

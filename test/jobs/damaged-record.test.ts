// One damaged job row (not JSON, or not a job) is set aside: it is reported once, listed as
// damaged, and get_job on it says so; polling, list_jobs and every other job go on.

import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { ScriptedAdapter } from "../support/scripted-adapter.js";
import { startInMemoryApp, textOf, type InMemoryApp } from "../support/in-memory-app.js";

const apps: InMemoryApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

type JobAnswer = { job: { job_id: string; status: string; results: string } };
type ListAnswer = { jobs: Array<{ job_id: string; status: string; damaged?: string }> };

/** What a damaged row can hold instead of its job: bytes that are not JSON, JSON that is not a job, a job under another id. */
const DAMAGE: Array<[string, (id: string) => string, RegExp]> = [
  ["not JSON", () => '{"id": "pyannote:job-1", "status": "runn', /not valid JSON/],
  ["JSON null", () => "null", /not a job/],
  ["an unknown status", (id) => JSON.stringify({ id, provider: "pyannote", nativeId: "x", task: "diarize", status: "exploded", inputs: [], options: {}, createdAt: "t", updatedAt: "t", resultState: "none", pollCount: 0 }), /not a job \(status/],
  ["another job's record", () => JSON.stringify({ id: "pyannote:elsewhere", provider: "pyannote", nativeId: "elsewhere", task: "diarize", status: "queued", inputs: [], options: {}, createdAt: "t", updatedAt: "t", resultState: "none", pollCount: 0 }), /names another job/],
];

describe("a damaged job row", () => {
  it("is set aside and reported once, while the healthy job finishes and list_jobs answers", async () => {
    const adapter = new ScriptedAdapter({ refreshesUntilDone: 3 });
    const running = await startInMemoryApp([adapter], { startPoller: false });
    apps.push(running);
    const { client, dataDir, logs } = running;
    const start = async () =>
      ((await client.callTool({ name: "start_job", arguments: { provider: "pyannote", media: [{ url: "https://example.com/a.wav" }] } })).structuredContent as JobAnswer).job.job_id;
    const damaged: string[] = [];
    for (const _ of DAMAGE) damaged.push(await start());
    const healthy = await start();

    const database = new DatabaseSync(path.join(dataDir, "jobs.sqlite"));
    DAMAGE.forEach(([, data], index) => database.prepare("UPDATE jobs SET data = ? WHERE id = ?").run(data(damaged[index]!), damaged[index]!));
    database.close();

    running.app.poller.start();
    const waited = await client.callTool({ name: "get_job", arguments: { job_id: healthy, wait_seconds: 20 } });
    expect(waited.isError, textOf(waited)).toBeFalsy();
    expect((waited.structuredContent as JobAnswer).job).toMatchObject({ status: "succeeded", results: "stored" });

    const listed = await client.callTool({ name: "list_jobs", arguments: {} });
    expect(listed.isError, textOf(listed)).toBeFalsy();
    const rows = (listed.structuredContent as ListAnswer).jobs;
    expect(rows.map((row) => row.job_id).sort()).toEqual([...damaged, healthy].sort());
    DAMAGE.forEach(([what, , reason], index) => {
      const row = rows.find((entry) => entry.job_id === damaged[index]);
      expect(row?.damaged, what).toMatch(reason);
      expect(textOf(listed)).toContain(`${damaged[index]} diarize DAMAGED`);
    });
    expect(rows.find((row) => row.job_id === healthy)?.damaged).toBeUndefined();

    for (const id of damaged) {
      const answer = await client.callTool({ name: "get_job", arguments: { job_id: id } });
      expect(answer.isError).toBe(true);
      expect(textOf(answer)).toMatch(new RegExp(`job ${id} is damaged in the store .*set aside`));
    }

    // More ticks, more listings: each damaged row is still reported once, and no tick failed.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.callTool({ name: "list_jobs", arguments: {} });
    for (const id of damaged) expect(logs.filter((line) => line.includes(`job ${id} is damaged`))).toHaveLength(1);
    expect(logs.join("\n")).not.toMatch(/poller tick failed|failed unexpectedly/);
  });
});

// Durability: a server killed with SIGKILL while jobs run resumes them after restart and
// later serves their results — with a real child process, killed for real.

import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHumeFake, type HumeFake } from "../fakes/hume-fake.js";
import { ROOT, callTool, startStdio, structured, tempDataDir, textOf, waitForJob, type StdioSession } from "./harness.js";

let fake: HumeFake;
let dataDir: string;
const sessions: StdioSession[] = [];

beforeAll(async () => {
  // Enough polls that the job is still running when the server is killed.
  fake = await startHumeFake({ queuedPolls: 2, runningPolls: 30, durationS: 20 });
  dataDir = tempDataDir();
});

afterAll(async () => {
  for (const session of sessions) await session.close();
  await fake?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function env(): Record<string, string> {
  return {
    HUME_API_KEY: fake.apiKey,
    HUME_BASE_URL: fake.baseUrl,
    MEDIA_JOBS_DATA_DIR: dataDir,
    MEDIA_JOBS_ALLOWED_DIRS: path.join(ROOT, "assets", "sample"),
  };
}

async function killHard(session: StdioSession): Promise<void> {
  expect(session.pid).toBeDefined();
  process.kill(session.pid!, "SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 300));
  await session.close();
}

describe("restart after SIGKILL", () => {
  it("resumes polling a vendor job that was mid-flight, keeps every job, and serves results without the vendor", async () => {
    const first = await startStdio(env());
    sessions.push(first);
    const vendorJob = structured<{ job: { job_id: string } }>(
      await callTool(first.client, "start_job", { provider: "hume", media: [{ url: "https://media.example.com/talk.mp4" }], options: { models: { prosody: {} } } }),
    ).job.job_id;
    const localJob = structured<{ job: { job_id: string } }>(
      await callTool(first.client, "start_job", { provider: "local", media: [{ path: "sample.ogg" }] }),
    ).job.job_id;
    // The vendor job is mid-flight when the process dies.
    const before = structured<{ job: { status: string } }>(await callTool(first.client, "get_job", { job_id: vendorJob })).job;
    expect(["queued", "running"]).toContain(before.status);
    await killHard(first);

    const second = await startStdio(env());
    sessions.push(second);
    const listed = structured<{ jobs: Array<{ job_id: string }> }>(await callTool(second.client, "list_jobs", {}));
    expect(listed.jobs.map((job) => job.job_id).sort()).toEqual([localJob, vendorJob].sort());

    expect(await waitForJob(second.client, vendorJob, 90)).toMatchObject({ status: "succeeded", results: "stored" });
    expect(await waitForJob(second.client, localJob, 90)).toMatchObject({ status: "succeeded", results: "stored" });

    // The vendor is gone; the stored results still answer.
    await fake.close();
    const predictions = await callTool(second.client, "get_predictions", { job_id: vendorJob });
    expect(predictions.isError, textOf(predictions)).toBeFalsy();
    expect(textOf(predictions)).toMatch(/prosody/i);
    const acoustic = await callTool(second.client, "get_predictions", { job_id: localJob });
    expect(textOf(acoustic)).toMatch(/LUFS/);
  });
});

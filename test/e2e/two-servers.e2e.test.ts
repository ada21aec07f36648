// Two servers on one data dir, as when Claude Desktop and Claude Code each start one: real
// child processes of the built CLI against a loopback Hume fake, with local jobs too. Each job
// has one owner at a time (a lease in the store): no local job is analysed twice, no vendor
// status GET is made twice for one poll, and when one server is SIGKILLed the other takes its
// jobs over once the lease expires.

import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHumeFake, type HumeFake } from "../fakes/hume-fake.js";
import { ROOT, callTool, startStdio, structured, tempDataDir, waitForJob, type StdioSession } from "./harness.js";

const LEASE_MS = 1_500;
let fake: HumeFake;
let dataDir: string;
const sessions: StdioSession[] = [];

beforeAll(async () => {
  fake = await startHumeFake({ queuedPolls: 2, runningPolls: 4 });
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
    MEDIA_JOBS_LEASE_MS: String(LEASE_MS),
  };
}

async function startServer(): Promise<StdioSession> {
  const session = await startStdio(env());
  sessions.push(session);
  return session;
}

async function startJob(session: StdioSession, args: Record<string, unknown>): Promise<string> {
  return structured<{ job: { job_id: string } }>(await callTool(session.client, "start_job", args)).job.job_id;
}

const startLocal = (session: StdioSession) => startJob(session, { provider: "local", media: [{ path: "sample.ogg" }] });
const startHume = (session: StdioSession, index: number) =>
  startJob(session, { provider: "hume", media: [{ url: `https://media.example.com/talk-${index}.mp4` }], options: { models: { prosody: {} } } });

/** How many times each local job was analysed, from every server's log. */
function analysisRuns(logs: string[], jobIds: string[]): Map<string, number> {
  const text = logs.join("\n");
  return new Map(jobIds.map((id) => [id, text.split(`local job ${id.slice("local:".length)} analysing`).length - 1]));
}

function storedPollCounts(): Map<string, number> {
  const db = new DatabaseSync(path.join(dataDir, "jobs.sqlite"), { readOnly: true });
  try {
    const rows = db.prepare("SELECT id, data FROM jobs").all() as Array<{ id: string; data: string }>;
    return new Map(rows.map((row) => [row.id, (JSON.parse(row.data) as { pollCount: number }).pollCount]));
  } finally {
    db.close();
  }
}

describe("two servers on one data dir", () => {
  it("analyses each local job once and polls each vendor job from one server at a time; a killed server's jobs move to the other after its lease", async () => {
    const first = await startServer();
    const second = await startServer();

    // Both servers start work, interleaved: local jobs queue behind the analyzer's workers.
    const localJobs: string[] = [];
    const humeJobs: string[] = [];
    for (let index = 0; index < 4; index++) {
      const server = index % 2 === 0 ? first : second;
      localJobs.push(await startLocal(server));
      humeJobs.push(await startHume(server, index));
    }
    // Each server also watches the other's jobs, as a client of either would.
    for (const [index, jobId] of [...localJobs, ...humeJobs].entries()) {
      const watcher = index % 2 === 0 ? second : first;
      expect(await waitForJob(watcher.client, jobId, 90)).toMatchObject({ status: "succeeded", results: "stored" });
    }

    const runs = analysisRuns([first.stderr(), second.stderr()], localJobs);
    expect([...runs.values()]).toEqual(localJobs.map(() => 1));

    // Every status GET the vendor saw is one poll recorded in the store: none made twice.
    const pollCounts = storedPollCounts();
    for (const jobId of humeJobs) {
      const nativeId = jobId.slice("hume:".length);
      const statusGets = fake.server.requests.filter((request) => request.method === "GET" && request.path === `/v0/batch/jobs/${nativeId}`).length;
      expect(statusGets, jobId).toBe(pollCounts.get(jobId));
      expect(fake.server.requestsTo("GET", `/v0/batch/jobs/${nativeId}/predictions`), jobId).toHaveLength(1);
    }

    // The first server takes more local work, then dies without a word.
    const orphans: string[] = [];
    for (let index = 0; index < 3; index++) orphans.push(await startLocal(first));
    const killedAt = Date.now();
    process.kill(first.pid!, "SIGKILL");
    await first.close();

    for (const jobId of orphans) {
      expect(await waitForJob(second.client, jobId, 90)).toMatchObject({ status: "succeeded", results: "stored" });
    }
    // The survivor ran each orphan once, and only after the dead server's lease ran out.
    const survivorLog = second.stderr();
    expect([...analysisRuns([survivorLog], orphans).values()]).toEqual(orphans.map(() => 1));
    for (const jobId of orphans) {
      const line = survivorLog.split("\n").find((entry) => entry.includes(`local job ${jobId.slice("local:".length)} analysing`))!;
      expect(Date.parse(line.slice(0, 24))).toBeGreaterThanOrEqual(killedAt + LEASE_MS - 1_000);
    }
  }, 180_000);
});

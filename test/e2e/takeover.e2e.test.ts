// A local analysis of an uploaded file survives the server running it: two built HTTP servers
// on one data dir, each with a temporary directory of its own (as two machines have), one
// SIGKILLed mid-analysis. The other takes the job over once the lease runs out, writes the
// upload's bytes back from the store into its own temporary directory, and finishes the job:
// one result, analysed to the end once by the survivor.

import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { concat, harmonicStack, silence, tempDir, writeWav } from "../providers/local/signals.js";
import { callTool, startHttp, structured, tempDataDir, textOf, waitForJob, type HttpChild } from "./harness.js";

const TOKEN = "takeover-token-0123456789abcdef";
const RATE = 16_000;
const dataDir = tempDataDir();
const media = tempDir("mjm-takeover-media-");
const machines = [tempDir("mjm-takeover-tmp-a-"), tempDir("mjm-takeover-tmp-b-")];
const servers: HttpChild[] = [];

afterAll(async () => {
  for (const server of servers) await server.close();
  for (const dir of [dataDir, media, ...machines]) fs.rmSync(dir, { recursive: true, force: true });
});

async function startServer(machine: string): Promise<HttpChild> {
  const server = await startHttp({ MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_HTTP_TOKEN: TOKEN, TMPDIR: machine });
  servers.push(server);
  return server;
}

/** Minutes of speech-like audio: seconds of analysis. */
function longFile(minutes: number): string {
  const pattern = concat(harmonicStack(2, RATE, 150, 0.3, { amHz: 4 }), silence(1, RATE));
  const repeats = Math.ceil((minutes * 60) / 3);
  const signal = new Float32Array(pattern.length * repeats);
  for (let index = 0; index < repeats; index++) signal.set(pattern, index * pattern.length);
  return writeWav(media, "interview.wav", [signal], RATE);
}

async function until(condition: () => boolean, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function resultParts(jobId: string): string[] {
  const db = new DatabaseSync(path.join(dataDir, "jobs.sqlite"), { readOnly: true });
  try {
    return (db.prepare("SELECT name FROM result_parts WHERE job_id = ?").all(jobId) as Array<{ name: string }>).map((row) => row.name);
  } finally {
    db.close();
  }
}

describe("a server killed mid-analysis", () => {
  it("leaves its uploaded-file job to the other server, which reads the upload from the store and finishes it once", async () => {
    const first = await startServer(machines[0]!);
    const second = await startServer(machines[1]!);
    const headers = { authorization: `Bearer ${TOKEN}` };
    const client = await first.connect(headers);

    const created = structured<{ upload_id: string; url: string }>(await callTool(client, "create_upload", { filename: "interview.wav" }));
    const put = await fetch(created.url, { method: "PUT", body: fs.readFileSync(longFile(8)), headers: { "content-type": "audio/wav" } });
    expect(put.status).toBe(200);
    const started = await callTool(client, "start_job", { provider: "local", media: [{ upload: created.upload_id }] });
    expect(started.isError, textOf(started)).toBeFalsy();
    const jobId = structured<{ job: { job_id: string } }>(started).job.job_id;
    const analysing = `local job ${jobId.slice("local:".length)} analysing`;

    await until(() => first.stderr().includes(analysing), 30);
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    servers.splice(servers.indexOf(first), 1);
    // Its machine is gone with it: the upload's file there is nowhere the survivor can read.
    fs.rmSync(machines[0]!, { recursive: true, force: true });

    const survivor = await second.connect(headers);
    expect(await waitForJob(survivor, jobId, 120)).toMatchObject({ status: "succeeded", results: "stored" });
    const log = second.stderr();
    // Its temporary directory never had the file: it came back from the store.
    expect(log).toContain(`upload ${created.upload_id} of job ${jobId} written again from the store`);
    expect(log.split(analysing).length - 1).toBe(1);
    expect(fs.readdirSync(path.join(machines[1]!, "media-jobs-uploads"))).toEqual([created.upload_id]);
    expect(resultParts(jobId)).toEqual(["report.json"]);
    const predictions = await callTool(survivor, "get_predictions", { job_id: jobId });
    expect(predictions.isError, textOf(predictions)).toBeFalsy();
    expect(textOf(predictions)).toContain("interview.wav");
  }, 180_000);
});

// The built server on PostgreSQL (MEDIA_JOBS_DATABASE_URL): real child processes of the CLI
// against the PostgreSQL here, in a database of this run's own (dropped at the end). A local
// job runs end to end with its job and results in the database, not in the data dir; a second
// server on the same database (another replica) serves it too. A database it cannot use stops
// the server with one line.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, type Finished } from "../runtime/runtimes.js";
import { assertBuilt, callTool, childEnv, CLI, ROOT, startStdio, structured, tempDataDir, textOf, waitForJob, type StdioSession } from "./harness.js";

const SERVER = "postgres://postgres@127.0.0.1:5432";
const database = `mjm_e2e_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
// Trust auth ignores the password; the server must still never log it.
const databaseUrl = `postgres://postgres:not-for-logs-42@127.0.0.1:5432/${database}?schema=media_jobs`;
let admin: pg.Client;
const sessions: StdioSession[] = [];
const dataDirs: string[] = [];

beforeAll(async () => {
  const root = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await root.connect();
  await root.query(`CREATE DATABASE ${database}`);
  await root.end();
  admin = new pg.Client({ connectionString: `${SERVER}/${database}` });
  await admin.connect();
});

afterAll(async () => {
  for (const session of sessions) await session.close();
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  await admin?.end();
  const root = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await root.connect();
  await root.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await root.end();
});

async function startServer(): Promise<{ session: StdioSession; dataDir: string }> {
  const dataDir = tempDataDir();
  dataDirs.push(dataDir);
  const session = await startStdio({
    MEDIA_JOBS_DATABASE_URL: databaseUrl,
    MEDIA_JOBS_DATA_DIR: dataDir,
    MEDIA_JOBS_ALLOWED_DIRS: path.join(ROOT, "assets", "sample"),
  });
  sessions.push(session);
  return { session, dataDir };
}

describe("the server on PostgreSQL", () => {
  it("runs a local job end to end with the job and its results in the database, and a second server serves it too", async () => {
    const first = await startServer();
    const jobId = structured<{ job: { job_id: string } }>(
      await callTool(first.session.client, "start_job", { provider: "local", media: [{ path: "sample.ogg" }], label: "on postgres" }),
    ).job.job_id;
    expect(await waitForJob(first.session.client, jobId, 90)).toMatchObject({ status: "succeeded", results: "stored" });
    expect(textOf(await callTool(first.session.client, "get_predictions", { job_id: jobId }))).toMatch(/LUFS/);

    const stored = await admin.query<{ status: string; parts: string }>(
      "SELECT status, (SELECT count(*) FROM media_jobs.result_parts WHERE job_id = jobs.id) AS parts FROM media_jobs.jobs WHERE id = $1",
      [jobId],
    );
    expect(stored.rows.map((row) => row.status)).toEqual(["succeeded"]);
    expect(Number(stored.rows[0]!.parts)).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(first.dataDir, "jobs.sqlite"))).toBe(false);

    // Another replica: its own data dir, the same database.
    const second = await startServer();
    const listed = structured<{ jobs: Array<{ job_id: string; label?: string }> }>(await callTool(second.session.client, "list_jobs", {}));
    expect(listed.jobs.map((job) => job.job_id)).toEqual([jobId]);
    const predictions = await callTool(second.session.client, "get_predictions", { job_id: jobId });
    expect(predictions.isError, textOf(predictions)).toBeFalsy();
    expect(textOf(predictions)).toMatch(/LUFS/);
    for (const server of [first, second]) expect(server.session.stderr()).not.toContain("not-for-logs-42");
  });
});

describe("a database the server cannot use", () => {
  function startWith(url: string): Promise<Finished> {
    assertBuilt();
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    // stdin is closed: a server that does start serves stdio, sees the end and exits 0.
    return run(process.execPath, [CLI], { env: childEnv({ MEDIA_JOBS_DATABASE_URL: url, MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_LOG_LEVEL: "warning" }) });
  }

  function oneLine(result: Finished): string {
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^media-jobs-mcp: /);
    expect(lines[0]).not.toMatch(/\bat .*\.js:\d+|Error:/);
    return lines[0]!;
  }

  it("unreachable: one line naming the database without its password, and a non-zero exit", async () => {
    const result = await startWith("postgres://media:hunter2@127.0.0.1:1/media_jobs");
    expect(result.code).toBe(1);
    const line = oneLine(result);
    expect(line).toMatch(/cannot reach the PostgreSQL database media@127\.0\.0\.1:1\/media_jobs .*MEDIA_JOBS_DATABASE_URL/);
    expect(line).not.toContain("hunter2");
  });

  it("not a PostgreSQL URL: a configuration error naming the variable, and exit 2", async () => {
    const result = await startWith("mysql://media:hunter2@db.example.com/media_jobs");
    expect(result.code).toBe(2);
    const line = oneLine(result);
    expect(line).toMatch(/configuration error: MEDIA_JOBS_DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//);
    expect(line).not.toContain("hunter2");
  });
});

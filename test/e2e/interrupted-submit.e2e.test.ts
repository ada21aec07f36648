// A server killed (SIGKILL, a real child process) while a vendor's create call is in flight —
// the vendor has created the job, the answer has not arrived — is restarted, and start_job is
// retried with the same idempotency_key: it answers with the vendor's job (or, where the vendor
// cannot tell us, a failed job that says why), never "being submitted" forever, and the vendor
// is never asked to create a second job.

import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/fake-server.js";
import { startHamsaFake } from "../fakes/hamsa-fake.js";
import { startHumanStandardFake } from "../fakes/humanstandard-fake.js";
import { startHumeFake } from "../fakes/hume-fake.js";
import { startPyannoteFake } from "../fakes/pyannote-fake.js";
import { callTool, startStdio, structured, tempDataDir, textOf, type StdioSession } from "./harness.js";

interface VendorCase {
  provider: string;
  /** The create endpoint, which answers after 1.5 s: the server is killed before it does. */
  createPath: string;
  arguments: Record<string, unknown>;
  start(): Promise<{ server: FakeServer; env: Record<string, string>; createdIds(): string[]; close(): Promise<void> }>;
}

const URL_INPUT = [{ url: "https://media.example.com/interview-7.wav" }];

const CASES: VendorCase[] = [
  {
    provider: "pyannote",
    createPath: "/v1/diarize",
    arguments: { provider: "pyannote", media: URL_INPUT },
    async start() {
      const fake = await startPyannoteFake();
      return { server: fake.server, env: { PYANNOTEAI_API_KEY: fake.apiKey, PYANNOTEAI_BASE_URL: fake.baseUrl }, createdIds: () => [...fake.jobs.keys()], close: () => fake.close() };
    },
  },
  {
    provider: "hume",
    createPath: "/v0/batch/jobs",
    arguments: { provider: "hume", media: URL_INPUT, options: { models: { prosody: {} } } },
    async start() {
      const fake = await startHumeFake({ clock: Date.now });
      return { server: fake.server, env: { HUME_API_KEY: fake.apiKey, HUME_BASE_URL: fake.baseUrl }, createdIds: () => [...fake.jobs.keys()], close: () => fake.close() };
    },
  },
  {
    provider: "hamsa",
    createPath: "/v1/jobs/transcribe",
    arguments: { provider: "hamsa", media: URL_INPUT, label: "interview 7" },
    async start() {
      const fake = await startHamsaFake({ clock: Date.now });
      return {
        server: fake.server,
        env: { HAMSA_API_KEY: fake.apiKey, HAMSA_BASE_URL: fake.baseUrl, HAMSA_PROJECT_ID: fake.projectId },
        createdIds: () => [...fake.jobs.keys()],
        close: () => fake.close(),
      };
    },
  },
  {
    provider: "humanstandard",
    createPath: "/jobs",
    arguments: { provider: "humanstandard", media: [{ url: "https://media.example.com/track-1.mp3" }, { url: "https://media.example.com/track-2.mp3" }] },
    async start() {
      const fake = await startHumanStandardFake();
      return {
        server: fake.server,
        env: { HUMANSTANDARD_API_KEY: fake.apiKey, HUMANSTANDARD_BASE_URL: fake.baseUrl },
        createdIds: () => [...fake.jobs.keys()],
        close: () => fake.close(),
      };
    },
  },
];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts the server, sends start_job, and SIGKILLs the server while the vendor holds the create call. */
async function killDuringCreate(vendor: VendorCase, server: FakeServer, env: Record<string, string>, args: Record<string, unknown>): Promise<void> {
  server.injectFault({ kind: "delay", delayMs: 1_500 }, { method: "POST", pathPrefix: vendor.createPath });
  const first = await startStdio(env);
  cleanups.push(() => first.close());
  const call = callTool(first.client, "start_job", args).then(
    () => "answered",
    () => "cut off",
  );
  await until(() => server.requestsTo("POST", vendor.createPath).length === 1, `${vendor.provider}'s create call`);
  process.kill(first.pid!, "SIGKILL");
  expect(await call).toBe("cut off");
}

async function restart(env: Record<string, string>): Promise<StdioSession> {
  const second = await startStdio(env);
  cleanups.push(() => second.close());
  return second;
}

type StartAnswer = { job: { job_id: string; status: string; error?: { code: string; message: string }; warnings?: string[] }; deduplicated: boolean };

describe("start_job interrupted by SIGKILL during the vendor's create call", () => {
  for (const vendor of CASES) {
    it(`${vendor.provider}: the retry with the same key returns the job the vendor created, and the vendor created one`, async () => {
      const fake = await vendor.start();
      cleanups.push(() => fake.close());
      const dataDir = tempDataDir();
      cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      const env = { ...fake.env, MEDIA_JOBS_DATA_DIR: dataDir };
      const args = { ...vendor.arguments, idempotency_key: `retry-${vendor.provider}` };

      await killDuringCreate(vendor, fake.server, env, args);
      expect(fake.createdIds()).toHaveLength(1);
      const vendorJob = `${vendor.provider}:${fake.createdIds()[0]}`;

      const second = await restart(env);
      const retried = await callTool(second.client, "start_job", args);
      const answer = structured<StartAnswer>(retried);
      expect(answer.job.job_id, textOf(retried)).toBe(vendorJob);
      expect(answer.deduplicated).toBe(true);
      // Asked again: the same job, and still one job at the vendor.
      expect(structured<StartAnswer>(await callTool(second.client, "start_job", args)).job.job_id).toBe(vendorJob);
      expect(fake.createdIds()).toHaveLength(1);
      const creates = fake.server.requestsTo("POST", vendor.createPath);
      if (vendor.provider === "humanstandard") {
        // No job list: the same submission is sent again under its Idempotency-Key, which
        // HumanStandard answers with the job the first one created.
        expect(creates).toHaveLength(2);
        expect(creates[1]!.headers["idempotency-key"]).toBe(creates[0]!.headers["idempotency-key"]);
        expect(creates[1]!.json).toEqual(creates[0]!.json);
      } else {
        expect(creates).toHaveLength(1);
      }
      const listed = structured<{ jobs: Array<{ job_id: string }> }>(await callTool(second.client, "list_jobs", {}));
      expect(listed.jobs.map((job) => job.job_id)).toEqual([vendorJob]);
      fake.server.assertAllHandled();
    });
  }

  it("hamsa without HAMSA_PROJECT_ID (no way to list): the retry gets a failed job that says what happened and what to check", async () => {
    const fake = await CASES[2]!.start();
    cleanups.push(() => fake.close());
    const dataDir = tempDataDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { ...fake.env, MEDIA_JOBS_DATA_DIR: dataDir };
    delete env.HAMSA_PROJECT_ID;
    const args = { ...CASES[2]!.arguments, idempotency_key: "retry-unlisted" };

    await killDuringCreate(CASES[2]!, fake.server, env, args);
    const second = await restart(env);
    const answer = structured<StartAnswer>(await callTool(second.client, "start_job", args));
    expect(answer.job.status).toBe("failed");
    expect(answer.job.error?.code).toBe("submission_interrupted");
    expect(answer.job.error?.message).toMatch(/stopped while submitting this job to Hamsa/);
    expect(answer.job.error?.message).toMatch(/HAMSA_PROJECT_ID/);
    expect(answer.job.error?.message).toMatch(/new idempotency_key/);
    // A settled answer, the same each time; nothing more was sent to Hamsa.
    expect(structured<StartAnswer>(await callTool(second.client, "start_job", args)).job.job_id).toBe(answer.job.job_id);
    expect(fake.server.requestsTo("POST", CASES[2]!.createPath)).toHaveLength(1);
  });
});

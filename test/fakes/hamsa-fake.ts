// A loopback fake of Hamsa's job API (docs.tryhamsa.com, seed 002), speaking the documented
// wire format: POST /v1/jobs/transcribe, GET /v1/jobs?jobId=, POST /v1/jobs/all?projectId=.
// Jobs answer PENDING for a few polls, then COMPLETED (or FAILED). Which undocumented
// `jobResponse` shape a job returns is chosen by the media URL's file name: ".../words.mp3"
// returns test/fixtures/hamsa/words.json; "failed" makes the job fail.
// Runs under Node's type stripping too (hamsa-fake-main.ts): no enums, no parameter properties.

import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { FakeServer, type RecordedRequest } from "./fake-server.js";

export const HAMSA_FAKE_API_KEY = "hamsa-fake-key-0123456789";
export const HAMSA_FAKE_PROJECT_ID = "6f1c2a9e-2f43-4c1b-9a55-0e8b9c3d7a10";
export const HAMSA_FIXTURE_DIR = new URL("../fixtures/hamsa/", import.meta.url);
const DEFAULT_SHAPE = "arabic-segments";
const MODELS = ["Hamsa-General-V2.0", "Hamsa-Conversational-V1.0"];

export interface HamsaFakeOptions {
  apiKey?: string;
  projectId?: string;
  /** GET polls answered PENDING before a job ends (default 2). */
  pendingPolls?: number;
  /** Listen on this port (default: any free port). */
  port?: number;
  /** Creation times come from this clock (default: a fixed clock, one second per job). */
  clock?: () => number;
}

export interface HamsaFakeJob {
  id: string;
  title: string | null;
  model: string;
  language: string;
  mediaUrl: string;
  webhookUrl: string | null;
  webhookAuth: { authKey: string; authSecret: string } | null;
  shape: string;
  polls: number;
  createdAt: string;
}

export interface HamsaFake {
  baseUrl: string;
  server: FakeServer;
  apiKey: string;
  projectId: string;
  jobs: Map<string, HamsaFakeJob>;
  /** The callback Hamsa would POST to the job's webhookUrl once it ends. */
  webhookRequestFor(jobId: string): { url: string; headers: Record<string, string>; rawBody: Buffer };
  /** The fixture (jobResponse) a shape returns, parsed. */
  fixture(shape: string): unknown;
  close(): Promise<void>;
}

export async function startHamsaFake(options: HamsaFakeOptions = {}): Promise<HamsaFake> {
  const apiKey = options.apiKey ?? HAMSA_FAKE_API_KEY;
  const projectId = options.projectId ?? HAMSA_FAKE_PROJECT_ID;
  const pendingPolls = options.pendingPolls ?? 2;
  const server = new FakeServer();
  const jobs = new Map<string, HamsaFakeJob>();
  let clock = Date.parse("2026-03-01T10:00:00Z");

  const unauthorized = (request: RecordedRequest) =>
    request.headers.authorization !== `Token ${apiKey}` ? { status: 401, body: { message: "Unauthorized: invalid API key" } } : undefined;

  const statusOf = (job: HamsaFakeJob): string => {
    if (job.polls < pendingPolls) return "PENDING";
    return job.shape === "failed" ? "FAILED" : "COMPLETED";
  };

  const wireJob = (job: HamsaFakeJob) => {
    const status = statusOf(job);
    return {
      id: job.id,
      title: job.title,
      model: job.model,
      type: "TRANSCRIPTION",
      processingType: "async",
      webhookUrl: job.webhookUrl,
      totalCost: status === "COMPLETED" ? 0.25 : 0,
      usageTime: status === "COMPLETED" ? "20" : null,
      fromLng: job.language,
      toLng: null,
      mediaUrl: job.mediaUrl,
      jobResponse: status === "PENDING" ? null : fixture(job.shape),
      fromScript: null,
      toScript: null,
      status,
      relevantJobId: null,
      agentDetails: null,
      apiKeyId: "key_1",
      billingId: "bill_1",
      systemModelKey: null,
      voiceAgentId: null,
      createdAt: job.createdAt,
      updatedAt: job.createdAt,
    };
  };

  server.route("POST", "/v1/jobs/transcribe", (request) => {
    const denied = unauthorized(request);
    if (denied) return denied;
    const body = (request.json ?? {}) as Record<string, unknown>;
    if (typeof body.mediaUrl !== "string" || !body.mediaUrl) return { status: 400, body: { success: false, message: "mediaUrl is required" } };
    if (typeof body.model !== "string" || !MODELS.includes(body.model)) return { status: 400, body: { success: false, message: "model is invalid" } };
    if (body.processingType !== "async") return { status: 400, body: { success: false, message: "processingType must be async" } };
    if (body.language !== undefined && body.language !== "ar" && body.language !== "en") {
      return { status: 400, body: { success: false, message: "language must be ar or en" } };
    }
    clock = options.clock ? options.clock() : clock + 1000;
    const job: HamsaFakeJob = {
      id: randomUUID(),
      title: typeof body.title === "string" ? body.title : null,
      model: body.model,
      language: typeof body.language === "string" ? body.language : "ar",
      mediaUrl: body.mediaUrl,
      webhookUrl: typeof body.webhookUrl === "string" ? body.webhookUrl : null,
      webhookAuth: isWebhookAuth(body.webhookAuth) ? body.webhookAuth : null,
      shape: shapeOf(body.mediaUrl),
      polls: 0,
      createdAt: new Date(clock).toISOString(),
    };
    jobs.set(job.id, job);
    return { status: 201, body: { success: true, message: "Job created successfully", data: { jobId: job.id } } };
  });

  server.route("GET", "/v1/jobs", (request) => {
    const denied = unauthorized(request);
    if (denied) return denied;
    const job = jobs.get(request.query.get("jobId") ?? "");
    if (!job) return { status: 404, body: { message: "Job not found" } };
    const reply = { message: "Job retrieved", previewUrl: `https://app.tryhamsa.com/jobs/${job.id}`, data: wireJob(job) };
    job.polls += 1;
    return { body: reply };
  });

  server.route("POST", "/v1/jobs/all", (request) => {
    const denied = unauthorized(request);
    if (denied) return denied;
    if (request.query.get("projectId") !== projectId) return { status: 404, body: { message: "Project not found" } };
    const body = (request.json ?? {}) as { take?: unknown; skip?: unknown; status?: unknown };
    const take = typeof body.take === "number" ? body.take : 10;
    const skip = typeof body.skip === "number" ? body.skip : 0;
    const all = [...jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const filtered = typeof body.status === "string" ? all.filter((job) => statusOf(job) === body.status) : all;
    return {
      body: {
        message: "Jobs retrieved",
        data: { jobs: filtered.slice(skip, skip + take).map(wireJob), total: all.length, filtered: filtered.length },
      },
    };
  });

  await listenOn(server, options.port);

  return {
    baseUrl: server.baseUrl,
    server,
    apiKey,
    projectId,
    jobs,
    fixture,
    webhookRequestFor(jobId) {
      const job = jobs.get(jobId);
      if (!job || !job.webhookUrl || !job.webhookAuth) throw new Error(`fake Hamsa job ${jobId} has no webhook`);
      const rawBody = Buffer.from(JSON.stringify({ jobId: job.id, status: statusOf(job), type: "TRANSCRIPTION" }));
      return {
        url: job.webhookUrl,
        headers: { authorization: `${job.webhookAuth.authKey} ${job.webhookAuth.authSecret}`, "content-type": "application/json" },
        rawBody,
      };
    },
    close: () => server.close(),
  };
}

function fixture(shape: string): unknown {
  return JSON.parse(readFileSync(new URL(`${shape}.json`, HAMSA_FIXTURE_DIR), "utf8"));
}

function shapeOf(mediaUrl: string): string {
  let name = "";
  try {
    name = new URL(mediaUrl).pathname.split("/").pop() ?? "";
  } catch {
    name = "";
  }
  const shape = name.replace(/\.[^.]*$/, "");
  return shape && /^[a-z0-9-]+$/.test(shape) && existsSync(new URL(`${shape}.json`, HAMSA_FIXTURE_DIR)) ? shape : DEFAULT_SHAPE;
}

function isWebhookAuth(value: unknown): value is { authKey: string; authSecret: string } {
  const record = value as { authKey?: unknown; authSecret?: unknown } | undefined;
  return typeof record?.authKey === "string" && typeof record.authSecret === "string";
}

/**
 * FakeServer.listen() always picks a free port; a standalone fake may need a fixed one, so
 * this reaches its (TypeScript-private) node server when a port is asked for.
 */
export async function listenOn(server: FakeServer, port: number | undefined): Promise<void> {
  if (!port) {
    await server.listen();
    return;
  }
  const node = (server as unknown as { server: Server }).server;
  await new Promise<void>((resolve, reject) => {
    node.once("error", reject);
    node.listen(port, "127.0.0.1", () => resolve());
  });
  server.baseUrl = `http://127.0.0.1:${port}`;
}

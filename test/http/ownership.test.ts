// A team server keeps its users apart: two OAuth users of one HTTP server (a loopback identity
// provider, the real pyannoteAI adapter against its loopback fake) never see each other's jobs,
// results, voiceprints, completions or notifications; another user's job id answers word for
// word like a missing one; the same idempotency_key from two users makes two jobs; and a vendor
// job id this server did not start is not looked up with the operator's key; files come as
// uploads that belong to their creator, never as paths on the shared disk.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  LoggingMessageNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createDefaultApp } from "../../src/default-app.js";
import { principalOf, startHttpServer, type RunningHttpServer } from "../../src/http-server.js";
import { createLogger } from "../../src/logger.js";
import { startPyannoteFake, type PyannoteFake } from "../fakes/pyannote-fake.js";
import { FakeIdentityProvider, newSigningKey, signAccessToken } from "../support/fake-identity-provider.js";

const AUDIENCE = "https://media.example.com/mcp";
const MISSING = "pyannote:00000000-0000-4000-8000-000000000000";
const SAMPLE = path.resolve(import.meta.dirname, "../../assets/sample/sample.ogg");

let app: App | undefined;
let server: RunningHttpServer | undefined;
let idp: FakeIdentityProvider | undefined;
let fake: PyannoteFake | undefined;
const clients: Client[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  await server?.close();
  await app?.close();
  await idp?.close();
  await fake?.close();
  server = app = idp = fake = undefined;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface Notice {
  method: string;
  params: unknown;
}

interface User {
  client: Client;
  notices: Notice[];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
}

/**
 * The server as a team runs it: OAuth, the poller on, pyannoteAI configured with the operator's
 * key. Jobs at the fake run until the test ends them (finish), so every change is the test's.
 */
async function startTeamServer(env: Record<string, string> = {}): Promise<{ origin: string; user(sub: string): Promise<User>; finish(jobId: string): Promise<void> }> {
  fake = await startPyannoteFake({ pollsUntilDone: 1_000_000 });
  idp = await new FakeIdentityProvider().start();
  const key = await newSigningKey("key-1");
  idp.published = [key];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-ownership-"));
  dirs.push(dataDir);
  const config = loadConfig(
    {
      MEDIA_JOBS_DATA_DIR: dataDir,
      MEDIA_JOBS_OAUTH_ISSUER: idp.issuer,
      MEDIA_JOBS_PUBLIC_URL: "https://media.example.com",
      MEDIA_JOBS_POLL_INITIAL_MS: "20",
      MEDIA_JOBS_POLL_MAX_MS: "100",
      PYANNOTEAI_API_KEY: fake.apiKey,
      PYANNOTEAI_BASE_URL: fake.baseUrl,
      ...env,
    },
    { http: true, port: 0 },
  );
  app = await createDefaultApp(config, { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
  app.poller.start();
  server = await startHttpServer(app, { oauth: { jwksCooldownMs: 0 } });
  const url = server.url;
  return {
    origin: new URL(url).origin,
    async user(sub) {
      const bearer = await signAccessToken(key, { iss: idp!.issuer, aud: AUDIENCE, sub });
      return connectUser(url, { authorization: `Bearer ${bearer}` });
    },
    async finish(jobId) {
      await fake!.finishJob(jobId.slice("pyannote:".length));
    },
  };
}

async function connectUser(url: string, headers: Record<string, string>): Promise<User> {
  // Declares the MCP Apps extension, so get_visual_data (the results view's tool) is callable too.
  const client = new Client({ name: "ownership-test", version: "1" }, { capabilities: { extensions: { "io.modelcontextprotocol/ui": {} } } as never });
  const notices: Notice[] = [];
  for (const schema of [ResourceUpdatedNotificationSchema, ResourceListChangedNotificationSchema, LoggingMessageNotificationSchema]) {
    client.setNotificationHandler(schema, (notification) => void notices.push({ method: notification.method, params: notification.params }));
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  clients.push(client);
  return {
    client,
    notices,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
  };
}

function textOf(result: CallToolResult): string {
  return result.content.map((item) => (item.type === "text" ? item.text : "")).join("\n");
}

function jobIdOf(result: CallToolResult): string {
  expect(result.isError ?? false, textOf(result)).toBe(false);
  return (result.structuredContent as { job: { job_id: string } }).job.job_id;
}

async function started(user: User, args: Record<string, unknown>): Promise<string> {
  return jobIdOf(await user.call("start_job", { provider: "pyannote", media: [{ url: "https://example.com/meeting.wav" }], ...args }));
}

/** Waits (get_job wait_seconds) until the job has ended and its results are stored. */
async function settled(user: User, jobId: string): Promise<void> {
  const answer = await user.call("get_job", { job_id: jobId, wait_seconds: 10 });
  expect(answer.isError ?? false, textOf(answer)).toBe(false);
  expect((answer.structuredContent as { job: { status: string } }).job.status).toBe("succeeded");
}

/** The error a call gets, as text (a tool's isError result or a rejected request), with `id` replaced. */
async function refusal(work: () => Promise<unknown>, id: string): Promise<string> {
  let text: string;
  try {
    const result = (await work()) as CallToolResult;
    expect(result.isError, textOf(result)).toBe(true);
    text = textOf(result);
  } catch (error) {
    text = error instanceof Error ? error.message : String(error);
  }
  return text.replaceAll(id, "<id>").replaceAll(encodeURIComponent(id), "<id>");
}

const JOB_URIS = (id: string) => [
  `media-jobs://jobs/${id}`,
  `media-jobs://jobs/${id}/result`,
  `media-jobs://jobs/${id}/parts/output.json`,
  `media-jobs://jobs/${id}/parts/output.json/chunks/0`,
];

describe("a team server keeps two users apart", () => {
  it("answers another user's job exactly like a missing one in every tool and resource", async () => {
    const team = await startTeamServer();
    const alice = await team.user("alice");
    const bob = await team.user("bob");
    const aliceJob = await started(alice, { label: "board meeting" });
    await team.finish(aliceJob);
    await settled(alice, aliceJob);
    // The control: alice reads all of it.
    expect((await alice.call("get_predictions", { job_id: aliceJob })).isError ?? false).toBe(false);
    expect((await alice.call("get_visual_data", { job_id: aliceJob })).isError ?? false).toBe(false);
    for (const uri of JOB_URIS(aliceJob)) expect((await alice.client.readResource({ uri })).contents.length, uri).toBeGreaterThan(0);

    const calls: Array<[string, (id: string) => Promise<unknown>]> = [
      ["get_job", (id) => bob.call("get_job", { job_id: id })],
      ["get_job waiting", (id) => bob.call("get_job", { job_id: id, wait_seconds: 2 })],
      ["get_predictions", (id) => bob.call("get_predictions", { job_id: id })],
      ["get_visual_data", (id) => bob.call("get_visual_data", { job_id: id })],
      ["cancel_job", (id) => bob.call("cancel_job", { job_id: id })],
      ...JOB_URIS("{id}").map((template): [string, (id: string) => Promise<unknown>] => [template, (id) => bob.client.readResource({ uri: template.replace("{id}", id) })]),
    ];
    for (const [name, call] of calls) {
      const theirs = await refusal(() => call(aliceJob), aliceJob);
      const missing = await refusal(() => call(MISSING), MISSING);
      expect(theirs, name).toBe(missing);
      expect(theirs, name).toMatch(/no job <id> here/);
    }

    // Lists and completions show bob nothing of alice's, and alice all of hers.
    const bobsJob = await started(bob, {});
    const listed = JSON.stringify(await bob.call("list_jobs", {}));
    expect(listed).toContain(bobsJob);
    expect(listed).not.toContain(aliceJob);
    const bobsResources = JSON.stringify(await bob.client.listResources());
    expect(bobsResources).toContain(bobsJob);
    expect(bobsResources).not.toContain(aliceJob);
    expect(JSON.stringify(await alice.client.listResources())).toContain(aliceJob);
    const complete = (user: User, uri: string) =>
      user.client.complete({ ref: { type: "ref/resource", uri }, argument: { name: "job_id", value: "pyannote:" } }).then((answer) => answer.completion.values);
    for (const template of ["media-jobs://jobs/{job_id}", "media-jobs://jobs/{job_id}/result", "media-jobs://jobs/{job_id}/parts/{part}"]) {
      expect(await complete(bob, template), template).not.toContain(aliceJob);
      expect(await complete(alice, template), template).toContain(aliceJob);
    }
    expect(await complete(bob, "media-jobs://jobs/{job_id}")).toEqual([bobsJob]);
    // Alice's id typed out in full completes to nothing for bob.
    const typed = await bob.client.complete({ ref: { type: "ref/resource", uri: "media-jobs://jobs/{job_id}" }, argument: { name: "job_id", value: aliceJob } });
    expect(typed.completion.values).toEqual([]);
  });

  it("sends a user no notification about another user's job, even for a subscription to its URI", async () => {
    const team = await startTeamServer();
    const alice = await team.user("alice");
    const bob = await team.user("bob");
    for (const user of [alice, bob]) {
      await user.client.setLoggingLevel("debug");
      await user.client.listResources(); // a client that listed is told when the list changes
    }
    const aliceJob = await started(alice, {});
    for (const uri of [`media-jobs://jobs/${aliceJob}`, `media-jobs://jobs/${aliceJob}/result`]) {
      await alice.client.subscribeResource({ uri });
      await bob.client.subscribeResource({ uri });
    }
    // Bob waits on alice's job with a progress token: refused at once, no progress sent.
    const progress: unknown[] = [];
    const bobsWait = (await bob.client.callTool({ name: "get_job", arguments: { job_id: aliceJob, wait_seconds: 2 } }, undefined, { onprogress: (sent) => void progress.push(sent) })) as CallToolResult;
    expect(bobsWait.isError).toBe(true);
    await team.finish(aliceJob);
    await settled(alice, aliceJob);
    await expect.poll(() => alice.notices.filter((notice) => notice.method === "notifications/resources/updated").length).toBeGreaterThan(0);
    expect(JSON.stringify(alice.notices)).toContain(aliceJob);

    // Then a job of bob's own: its notifications come on the same stream after any about
    // alice's job would have, so once they are here nothing about hers is still on its way.
    const bobsJob = await started(bob, {});
    await bob.client.subscribeResource({ uri: `media-jobs://jobs/${bobsJob}` });
    await team.finish(bobsJob);
    await settled(bob, bobsJob);
    await expect.poll(() => bob.notices.filter((notice) => notice.method === "notifications/resources/updated").length).toBeGreaterThan(0);
    expect(JSON.stringify(bob.notices)).not.toContain(aliceJob);
    expect(JSON.stringify(bob.notices)).toContain(bobsJob);
    expect(progress).toEqual([]);
  });

  it("keeps voiceprints per user: the same label is two voiceprints, and another user's label is unknown", async () => {
    const team = await startTeamServer();
    const alice = await team.user("alice");
    const bob = await team.user("bob");
    const voiceprintJob = async (user: User, label: string, media: string) => {
      const jobId = await started(user, { task: "voiceprint", label, media: [{ url: media }] });
      await team.finish(jobId);
      await settled(user, jobId);
      return jobId.slice("pyannote:".length);
    };
    const labels = async (user: User) =>
      (JSON.parse(((await user.client.readResource({ uri: "media-jobs://voiceprints" })).contents[0] as { text: string }).text) as Array<{ label: string }>).map((entry) => entry.label);
    const alicesNarrator = await voiceprintJob(alice, "narrator", "https://example.com/alice.wav");
    await voiceprintJob(alice, "ceo", "https://example.com/ceo.wav");
    expect(await labels(alice)).toEqual(["ceo", "narrator"]);
    expect(await labels(bob)).toEqual([]);
    expect(textOf(await bob.call("list_providers", { provider: "pyannote" }))).not.toMatch(/\bceo\b|narrator/);

    // Bob's "ceo" is unknown to him, word for word like a label nobody has.
    const identify = (user: User, label: string) => user.call("start_job", { provider: "pyannote", task: "identify", media: [{ url: "https://example.com/call.wav" }], options: { voiceprints: [label] } });
    const unknownTo = async (work: () => Promise<CallToolResult>, label: string) => {
      const result = await work();
      expect(result.isError, textOf(result)).toBe(true);
      return textOf(result).replaceAll(label, "<label>");
    };
    expect(await unknownTo(() => identify(bob, "ceo"), "ceo")).toBe(await unknownTo(() => identify(bob, "nobody"), "nobody"));
    expect(await unknownTo(() => bob.call("delete_voiceprint", { label: "ceo" }), "ceo")).toBe(
      await unknownTo(() => bob.call("delete_voiceprint", { label: "nobody" }), "nobody"),
    );
    expect(await labels(alice)).toEqual(["ceo", "narrator"]);

    // Each user's "narrator" is their own voiceprint: identify sends that one to the vendor.
    const bobsNarrator = await voiceprintJob(bob, "narrator", "https://example.com/bob.wav");
    expect(await labels(bob)).toEqual(["narrator"]);
    const sentVoiceprint = async (user: User) => {
      const jobId = jobIdOf(await identify(user, "narrator"));
      return (fake!.jobs.get(jobId.slice("pyannote:".length))!.body.voiceprints as Array<{ voiceprint: string }>)[0]!.voiceprint;
    };
    expect(await sentVoiceprint(alice)).toBe(fake!.voiceprintFor(alicesNarrator));
    expect(await sentVoiceprint(bob)).toBe(fake!.voiceprintFor(bobsNarrator));
    // Bob deleting his leaves alice's.
    expect((await bob.call("delete_voiceprint", { label: "narrator" })).isError ?? false).toBe(false);
    expect(await labels(alice)).toEqual(["ceo", "narrator"]);
  });

  it("makes two jobs of the same idempotency_key from two users, and returns each user their own on a retry", async () => {
    const team = await startTeamServer();
    const alice = await team.user("alice");
    const bob = await team.user("bob");
    const args = { provider: "pyannote", media: [{ url: "https://example.com/same.wav" }], idempotency_key: "weekly-sync-2026-11-30" };
    const alicesFirst = await alice.call("start_job", args);
    const bobsFirst = await bob.call("start_job", args);
    expect(jobIdOf(bobsFirst)).not.toBe(jobIdOf(alicesFirst));
    expect((bobsFirst.structuredContent as { deduplicated: boolean }).deduplicated).toBe(false);
    const alicesRetry = await alice.call("start_job", args);
    const bobsRetry = await bob.call("start_job", args);
    expect(jobIdOf(alicesRetry)).toBe(jobIdOf(alicesFirst));
    expect(jobIdOf(bobsRetry)).toBe(jobIdOf(bobsFirst));
    expect((bobsRetry.structuredContent as { deduplicated: boolean }).deduplicated).toBe(true);
    expect(fake!.server.requestsTo("POST", "/v1/diarize")).toHaveLength(2);
    // A key only alice has used is free for bob, whatever the arguments.
    const alicesOwn = await alice.call("start_job", { ...args, idempotency_key: "alice-only" });
    const bobsOwn = await bob.call("start_job", { ...args, idempotency_key: "alice-only", media: [{ url: "https://example.com/other.wav" }] });
    expect(jobIdOf(bobsOwn)).not.toBe(jobIdOf(alicesOwn));
    // The vendor saw the operator's key on every request and never a user's token (a JWT).
    expect(fake!.server.requests.length).toBeGreaterThan(0);
    for (const request of fake!.server.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${fake!.apiKey}`);
      expect(JSON.stringify(request.headers) + request.body.toString("utf8")).not.toMatch(/eyJ[\w-]+\.eyJ/);
    }
  });

  it("shows no user a job without an owner (one started over stdio on the same data dir)", async () => {
    const team = await startTeamServer();
    const alice = await team.user("alice");
    const now = new Date().toISOString();
    const stdioJob = "pyannote:started-over-stdio";
    app!.store.insertJob({ id: stdioJob, provider: "pyannote", nativeId: "started-over-stdio", task: "diarize", status: "succeeded", inputs: [], options: {}, createdAt: now, updatedAt: now, resultState: "none", pollCount: 0 });
    expect(await refusal(() => alice.call("get_job", { job_id: stdioJob }), stdioJob)).toBe(await refusal(() => alice.call("get_job", { job_id: MISSING }), MISSING));
    expect(await refusal(() => alice.client.readResource({ uri: `media-jobs://jobs/${stdioJob}` }), stdioJob)).toBe(
      await refusal(() => alice.client.readResource({ uri: `media-jobs://jobs/${MISSING}` }), MISSING),
    );
    expect(JSON.stringify(await alice.call("list_jobs", {}))).not.toContain(stdioJob);
  });

  it("does not look up or adopt a vendor job it did not start, and refuses remote listing", async () => {
    const team = await startTeamServer();
    const alice = await team.user("alice");
    // A job at the vendor under the operator's account, started elsewhere (a dashboard, another user's script).
    const response = await fetch(`${fake!.baseUrl}/v1/diarize`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake!.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://elsewhere.example.com/call.wav" }),
    });
    const elsewhere = `pyannote:${((await response.json()) as { jobId: string }).jobId}`;
    for (const [name, call] of [
      ["get_job", (id: string) => alice.call("get_job", { job_id: id })],
      ["get_job waiting", (id: string) => alice.call("get_job", { job_id: id, wait_seconds: 1 })],
      ["get_predictions", (id: string) => alice.call("get_predictions", { job_id: id })],
      ["cancel_job", (id: string) => alice.call("cancel_job", { job_id: id })],
      ["resource", (id: string) => alice.client.readResource({ uri: `media-jobs://jobs/${id}` })],
    ] as const) {
      expect(await refusal(() => call(elsewhere), elsewhere), name).toBe(await refusal(() => call(MISSING), MISSING));
    }
    // The vendor was never asked about either id, and nobody owns the job now.
    expect(fake!.server.requests.filter((request) => request.method === "GET")).toEqual([]);
    const remote = await alice.call("list_jobs", { remote: true });
    expect(remote.isError).toBe(true);
    expect(textOf(remote)).toMatch(/remote: true is not available on this shared server/);
    expect(fake!.server.requests.filter((request) => request.method === "GET")).toEqual([]);
    const bob = await team.user("bob");
    expect(JSON.stringify(await bob.call("list_jobs", {}))).not.toContain(elsewhere);
    expect(JSON.stringify(await alice.call("list_jobs", {}))).not.toContain(elsewhere);
  });
});

describe("files on a team server", () => {
  it("takes no local path, even under an allowed directory: every user could read it", async () => {
    const allowed = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-ownership-allowed-"));
    dirs.push(allowed);
    fs.copyFileSync(SAMPLE, path.join(allowed, "meeting.ogg"));
    const team = await startTeamServer({ MEDIA_JOBS_ALLOWED_DIRS: allowed });
    const alice = await team.user("alice");
    const refused = await alice.call("start_job", { provider: "pyannote", media: [{ path: path.join(allowed, "meeting.ogg") }] });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/takes no local paths.*create_upload/);
    expect(fake!.server.requestsTo("POST", "/v1/")).toEqual([]);
  });

  it("answers another user's upload id exactly like one that does not exist, and leaves the upload to its owner", async () => {
    const team = await startTeamServer();
    const alice = await team.user("alice");
    const bob = await team.user("bob");
    const created = (await alice.call("create_upload", { filename: "meeting.ogg" })).structuredContent as { upload_id: string; url: string };
    // The URL names the public address; the test reaches the same server on loopback.
    const putUrl = new URL(new URL(created.url).pathname, team.origin);
    expect((await fetch(putUrl, { method: "PUT", body: fs.readFileSync(SAMPLE) })).status).toBe(200);
    const withUpload = (user: User, id: string) => user.call("start_job", { provider: "pyannote", media: [{ upload: id }] });
    const missingUpload = `up_${"x".repeat(22)}`;
    expect(await refusal(() => withUpload(bob, created.upload_id), created.upload_id)).toBe(await refusal(() => withUpload(bob, missingUpload), missingUpload));
    expect(fake!.server.requestsTo("POST", "/v1/")).toEqual([]);
    // Bob's attempt did not use it up: alice's job gets the file.
    const alicesJob = await started(alice, { media: [{ upload: created.upload_id }] });
    expect(alicesJob).toMatch(/^pyannote:/);
    expect([...fake!.uploads.values()].map((bytes) => bytes.length)).toEqual([fs.statSync(SAMPLE).size]);
  });
});

describe("one person over HTTP with a static token", () => {
  it("still looks up a vendor job started elsewhere by its id and adopts it", async () => {
    fake = await startPyannoteFake();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-ownership-"));
    dirs.push(dataDir);
    const token = "static-token-0123456789";
    const config = loadConfig(
      { MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_HTTP_TOKEN: token, MEDIA_JOBS_POLL_INITIAL_MS: "20", PYANNOTEAI_API_KEY: fake.apiKey, PYANNOTEAI_BASE_URL: fake.baseUrl },
      { http: true, port: 0 },
    );
    app = await createDefaultApp(config, { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
    server = await startHttpServer(app);
    const user = await connectUser(server.url, { authorization: `Bearer ${token}` });
    const response = await fetch(`${fake.baseUrl}/v1/diarize`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ url: "https://elsewhere.example.com/call.wav" }),
    });
    const elsewhere = `pyannote:${((await response.json()) as { jobId: string }).jobId}`;
    expect(jobIdOf(await user.call("get_job", { job_id: elsewhere }))).toBe(elsewhere);
    expect((await app.store.getJob(elsewhere))?.owner).toBe(principalOf(token));
  });
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ListRootsRequestSchema, LoggingMessageNotificationSchema, ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { tokensOf } from "../../src/condense/render.js";
import { TOOLS, toolsFor } from "../../src/tools/index.js";
import { ScriptedAdapter, withoutCancel } from "../support/scripted-adapter.js";
import { startInMemoryApp, textOf, type InMemoryApp } from "../support/in-memory-app.js";

let running: InMemoryApp | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await running!.client.callTool({ name, arguments: args })) as CallToolResult;
}

describe("tool registry (meta)", () => {
  it("lists every tool with annotations, a useful description and a flat object input schema", async () => {
    running = await startInMemoryApp([new ScriptedAdapter()]);
    const { tools } = await running.client.listTools();
    // Over stdio (this session): every tool but the HTTP-only ones (create_upload).
    expect(tools.map((tool) => tool.name).sort()).toEqual(Object.keys(toolsFor("stdio")).sort());
    expect(Object.keys(TOOLS).filter((name) => !(name in toolsFor("stdio")))).toEqual(["create_upload"]);
    for (const tool of tools) {
      expect(TOOLS[tool.name]!.name).toBe(tool.name);
      expect(tool.description!.length).toBeGreaterThan(80);
      expect(tool.annotations).toMatchObject({
        readOnlyHint: expect.any(Boolean),
        destructiveHint: expect.any(Boolean),
        idempotentHint: expect.any(Boolean),
        openWorldHint: expect.any(Boolean),
      });
      expect(tool.inputSchema.type).toBe("object");
      for (const key of ["oneOf", "anyOf", "allOf"]) expect(tool.inputSchema).not.toHaveProperty(key);
      expect(tool.outputSchema?.type).toBe("object");
    }
    const predictions = tools.find((tool) => tool.name === "get_predictions")!;
    expect(predictions._meta?.["anthropic/maxResultSizeChars"]).toBe(32_000);
  });
});

describe("tools over an in-memory MCP session", () => {
  it("narrows list_providers to one provider when asked", async () => {
    running = await startInMemoryApp([new ScriptedAdapter(), new ScriptedAdapter({ id: "hume" })]);
    const all = await call("list_providers", {});
    const one = await call("list_providers", { provider: "hume" });
    expect((all.structuredContent as { providers: unknown[] }).providers).toHaveLength(2);
    expect((one.structuredContent as { providers: Array<{ id: string }> }).providers.map((provider) => provider.id)).toEqual(["hume"]);
    expect(JSON.stringify(one).length).toBeLessThan(JSON.stringify(all).length);
  });

  it("starts a job, waits for it, and pages condensed predictions within the budget", async () => {
    const adapter = new ScriptedAdapter({ rows: 400 });
    running = await startInMemoryApp([adapter]);
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://example.com/a.wav" }] });
    expect(started.isError).toBeFalsy();
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    expect(jobId).toBe("pyannote:job-1");
    // Committed before start_job returned.
    expect(await running.app.store.getJob(jobId)).toBeDefined();

    const waited = await call("get_job", { job_id: jobId, wait_seconds: 10 });
    expect((waited.structuredContent as { job: { status: string; results: string } }).job).toMatchObject({ status: "succeeded", results: "stored" });
    expect(adapter.fetches).toEqual(["job-1"]);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call("get_predictions", { job_id: jobId, max_tokens: 600, ...(cursor ? { cursor } : {}) });
      expect(page.isError).toBeFalsy();
      expect(tokensOf(page)).toBeLessThanOrEqual(600);
      const structured = page.structuredContent as { next_cursor: string | null; rows_shown: number };
      expect(structured.rows_shown).toBeGreaterThan(0);
      seen.push(...textOf(page).split("\n").filter((line) => line.startsWith("row ")));
      cursor = structured.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 100);
    expect(pages).toBeGreaterThan(3);
    expect(seen).toEqual(Array.from({ length: 400 }, (_, index) => `row ${index} ${"x".repeat(20)}`));
    // Reading results never needs the vendor again.
    expect(adapter.fetches).toEqual(["job-1"]);
  });

  it("never exceeds max_tokens, whatever the budget", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ rows: 2_000 })]);
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://example.com/a.wav" }], wait_seconds: 10 });
    const jobId = (started.structuredContent as { job: { job_id: string; status: string } }).job.job_id;
    for (const budget of [200, 333, 1_000, 1_500, 8_000]) {
      const page = await call("get_predictions", { job_id: jobId, max_tokens: budget });
      expect(tokensOf(page)).toBeLessThanOrEqual(budget);
    }
    const rejected = await call("get_predictions", { job_id: jobId, max_tokens: 9_000 });
    expect(rejected.isError).toBe(true);
    expect(textOf(rejected)).toMatch(/max_tokens/);
  });

  it("refuses a cursor replayed with other filters, and says how to fix it", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ rows: 300 })]);
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://example.com/a.wav" }], wait_seconds: 10 });
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    const first = await call("get_predictions", { job_id: jobId, max_tokens: 400 });
    const cursor = (first.structuredContent as { next_cursor: string }).next_cursor;
    const replayed = await call("get_predictions", { job_id: jobId, max_tokens: 400, cursor, start_s: 10 });
    expect(replayed.isError).toBe(true);
    expect(textOf(replayed)).toMatch(/different query/);
  });

  it("returns the same job for a repeated idempotency key and refuses it with other arguments", async () => {
    const adapter = new ScriptedAdapter();
    running = await startInMemoryApp([adapter]);
    const args = { provider: "pyannote", media: [{ url: "https://example.com/a.wav" }], idempotency_key: "batch-7" };
    const first = await call("start_job", args);
    const second = await call("start_job", args);
    expect((second.structuredContent as { job: { job_id: string } }).job.job_id).toBe((first.structuredContent as { job: { job_id: string } }).job.job_id);
    expect((second.structuredContent as { deduplicated: boolean }).deduplicated).toBe(true);
    expect(adapter.starts).toHaveLength(1);
    const other = await call("start_job", { ...args, media: [{ url: "https://example.com/b.wav" }] });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toMatch(/already used with different arguments/);
    expect(adapter.starts).toHaveLength(1);
  });

  it("answers bad input with isError messages that say how to fix the call", async () => {
    running = await startInMemoryApp([new ScriptedAdapter()]);
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ["start_job", { provider: "nope", media: [{ url: "https://x.test/a.wav" }] }, /provider/],
      ["start_job", { provider: "pyannote", media: [] }, /media/],
      ["start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav", path: "/tmp/a.wav" }] }, /exactly one of url, path or text/],
      ["start_job", { provider: "pyannote", media: [{ url: "ftp://x.test/a.wav" }] }, /https/],
      ["start_job", { provider: "pyannote", media: [{ path: "/etc/passwd" }] }, /no allowed directory|outside the allowed/],
      ["start_job", { provider: "pyannote", task: "transcribe", media: [{ url: "https://x.test/a.wav" }] }, /no task "transcribe"/],
      ["start_job", { provider: "pyannote", media: [{ text: "hello" }] }, /does not accept text/],
      ["start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }], wait_seconds: 500 }, /wait_seconds/],
      ["start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }], surprise: 1 }, /unknown field\(s\) surprise/],
      ["get_job", { job_id: "no-colon-here" }, /looks like "<provider>:<native id>"/],
      ["get_job", { job_id: "local:missing" }, /unknown provider "local"/],
      ["get_predictions", { job_id: "pyannote:job-1", start_s: 5, end_s: 2 }, /end_s must be greater than start_s/],
      ["list_jobs", { cursor: "bogus" }, /cursor/],
      ["delete_voiceprint", { label: "nobody" }, /no voiceprint labelled "nobody"/],
    ];
    for (const [name, args, expected] of cases) {
      const result = await call(name, args);
      expect(result.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(textOf(result)).toMatch(expected);
    }
  });

  it("says plainly when a provider cannot cancel, and cancels where it can", async () => {
    const noCancel = withoutCancel(new ScriptedAdapter({ refreshesUntilDone: 1_000 }));
    running = await startInMemoryApp([noCancel]);
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }] });
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    const refused = await call("cancel_job", { job_id: jobId });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/no way to cancel/);
    await running.close();

    running = await startInMemoryApp([new ScriptedAdapter({ refreshesUntilDone: 1_000, canCancel: true })]);
    const again = await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }] });
    const canceled = await call("cancel_job", { job_id: (again.structuredContent as { job: { job_id: string } }).job.job_id });
    expect((canceled.structuredContent as { job: { status: string } }).job.status).toBe("canceled");
  });

  it("keeps the job view small for a job with thousands of inputs", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ refreshesUntilDone: 1_000 })], { startPoller: false });
    const media = Array.from({ length: 5_000 }, (_, index) => ({ url: `https://cdn.example.com/catalog/track-${index}.mp3` }));
    const started = await call("start_job", { provider: "pyannote", media });
    const view = (started.structuredContent as { job: { inputs: string[]; inputs_total: number } }).job;
    expect(view.inputs_total).toBe(5_000);
    expect(view.inputs.length).toBeLessThanOrEqual(10);
    expect(textOf(started)).toMatch(/and 4995 more/);
    expect(JSON.stringify(started).length).toBeLessThan(4_000);
  });

  it("explains a job that is not finished instead of returning empty predictions", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ refreshesUntilDone: 1_000 })], { startPoller: false });
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }] });
    const result = await call("get_predictions", { job_id: (started.structuredContent as { job: { job_id: string } }).job.job_id });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/still queued.*call get_job/);
  });

  it("reports a failed job with the vendor's reason", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ finalStatus: "failed", refreshesUntilDone: 1 })]);
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }], wait_seconds: 10 });
    const job = (started.structuredContent as { job: { status: string; error?: { message: string } } }).job;
    expect(job.status).toBe("failed");
    expect(job.error?.message).toMatch(/could not be decoded/);
    expect(textOf(started)).toMatch(/next: the job failed/);
  });

  it("sends resources/updated to a subscriber when the job's status changes, and progress while waiting", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ refreshesUntilDone: 4 })], { startPoller: false });
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }] });
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    const updates: string[] = [];
    running.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updates.push(notification.params.uri);
    });
    await running.client.subscribeResource({ uri: `media-jobs://jobs/${jobId}` });
    const progress: number[] = [];
    const result = (await running.client.callTool(
      { name: "get_job", arguments: { job_id: jobId, wait_seconds: 10 } },
      undefined,
      { onprogress: (event) => progress.push(event.progress) },
    )) as CallToolResult;
    expect((result.structuredContent as { job: { status: string } }).job.status).toBe("succeeded");
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((uri) => uri === `media-jobs://jobs/${jobId}`)).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it("sends the job's own progress while waiting: done/total as the message says, increasing", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ refreshesUntilDone: 6 })], { startPoller: false });
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }] });
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    const events: Array<{ progress: number; total?: number; message?: string }> = [];
    const result = (await running.client.callTool({ name: "get_job", arguments: { job_id: jobId, wait_seconds: 30 } }, undefined, {
      onprogress: (event) => events.push(event),
    })) as CallToolResult;
    expect((result.structuredContent as { job: { status: string } }).job.status).toBe("succeeded");
    const withTotal = events.filter((event) => event.total !== undefined);
    expect(withTotal.length).toBeGreaterThan(1);
    for (const event of withTotal) {
      // The job's steps, not the 30 seconds of the wait; the message shows the same fraction.
      expect(event.total).toBe(6);
      expect(event.message).toContain(`${Math.round(event.progress)}/${event.total} steps (${((event.progress / event.total!) * 100).toFixed(1)}%)`);
    }
    const values = events.map((event) => event.progress);
    for (let index = 1; index < values.length; index++) expect(values[index]).toBeGreaterThan(values[index - 1]!);
  });

  it("sends no total when the job has no progress figure, and says the value is waited seconds", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ refreshesUntilDone: 5, reportsProgress: false })], { startPoller: false });
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }] });
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    const events: Array<{ progress: number; total?: number; message?: string }> = [];
    await running.client.callTool({ name: "get_job", arguments: { job_id: jobId, wait_seconds: 30 } }, undefined, {
      onprogress: (event) => events.push(event),
    });
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(event.total).toBeUndefined();
      expect(event.message).toMatch(new RegExp(`waited ${event.progress} s of 30 s`));
    }
  });

  it("offers jobs as resources with completion of job_id, and the full stored result", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ rows: 3 })]);
    let listChanges = 0;
    running.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void listChanges++);
    // A client that has listed resources is told when the list changes.
    await running.client.listResources();
    const started = await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }], wait_seconds: 10 });
    const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
    const listed = await running.client.listResources();
    expect(listed.resources.map((resource) => resource.uri)).toContain(`media-jobs://jobs/${jobId}`);
    expect(listed.resources.map((resource) => resource.uri)).toContain(`media-jobs://jobs/${jobId}/result`);
    const completion = await running.client.complete({
      ref: { type: "ref/resource", uri: "media-jobs://jobs/{job_id}" },
      argument: { name: "job_id", value: "pyannote:jo" },
    });
    expect(completion.completion.values).toEqual([jobId]);
    const job = await running.client.readResource({ uri: `media-jobs://jobs/${jobId}` });
    expect(listChanges).toBeGreaterThanOrEqual(2); // created, then result stored
    expect(JSON.parse((job.contents[0] as { text: string }).text)).toMatchObject({ job_id: jobId, status: "succeeded" });
    const result = await running.client.readResource({ uri: `media-jobs://jobs/${jobId}/result` });
    expect(JSON.parse((result.contents[0] as { text: string }).text).rows).toHaveLength(3);
  });

  it("sends no notification the client did not ask for: logs only after logging/setLevel and at that level, list changes only after resources/list", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ rows: 3 })]);
    const seen: string[] = [];
    running.client.fallbackNotificationHandler = async (notification) => void seen.push(notification.method);
    const logs: Array<{ level: string }> = [];
    running.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logs.push(notification.params));
    // A job that runs, succeeds and stores results: before the fix this sent log messages and
    // resources/list_changed to a client that had asked for neither.
    await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }], wait_seconds: 10 });
    expect(seen).toEqual([]);
    expect(logs).toEqual([]);

    await running.client.setLoggingLevel("warning");
    await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/b.wav" }], wait_seconds: 10 });
    expect(logs).toEqual([]); // info-level job events stay below "warning"
    await running.client.setLoggingLevel("info");
    await call("start_job", { provider: "pyannote", media: [{ url: "https://x.test/c.wav" }], wait_seconds: 10 });
    expect(logs.length).toBeGreaterThanOrEqual(2);
    expect(logs.every((entry) => entry.level === "info")).toBe(true);
    expect(seen).toEqual([]);
  });

  it("lists jobs newest first with a cursor and filters", async () => {
    running = await startInMemoryApp([new ScriptedAdapter({ refreshesUntilDone: 1_000 })], { startPoller: false });
    for (let index = 0; index < 5; index++) {
      await call("start_job", { provider: "pyannote", media: [{ url: `https://x.test/${index}.wav` }] });
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const first = await call("list_jobs", { limit: 2 });
    const structured = first.structuredContent as { jobs: Array<{ job_id: string }>; next_cursor: string };
    expect(structured.jobs.map((job) => job.job_id)).toEqual(["pyannote:job-5", "pyannote:job-4"]);
    const second = await call("list_jobs", { limit: 2, cursor: structured.next_cursor });
    expect((second.structuredContent as { jobs: Array<{ job_id: string }> }).jobs.map((job) => job.job_id)).toEqual(["pyannote:job-3", "pyannote:job-2"]);
    const none = await call("list_jobs", { status: "succeeded" });
    expect((none.structuredContent as { jobs: unknown[] }).jobs).toEqual([]);
    const third = (await running.app.store.getJob("pyannote:job-3"))!;
    const recent = await call("list_jobs", { created_after: third.createdAt });
    expect((recent.structuredContent as { jobs: Array<{ job_id: string }> }).jobs.map((job) => job.job_id)).toEqual(["pyannote:job-5", "pyannote:job-4", "pyannote:job-3"]);
    const older = await call("list_jobs", { created_before: third.createdAt });
    expect((older.structuredContent as { jobs: Array<{ job_id: string }> }).jobs.map((job) => job.job_id)).toEqual(["pyannote:job-2", "pyannote:job-1"]);
    const badTime = await call("list_jobs", { created_after: "last tuesday" });
    expect(textOf(badTime)).toMatch(/created_after must be an ISO 8601 time/);
  });

  it("accepts files under the client's MCP roots when no directory is configured", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-root-"));
    fs.writeFileSync(path.join(root, "talk.wav"), "RIFF");
    const adapter = new ScriptedAdapter({ refreshesUntilDone: 1_000 });
    running = await startInMemoryApp([adapter], { startPoller: false, clientCapabilities: { roots: { listChanged: true } } });
    running.client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: pathToFileURL(root).href, name: "project" }] }));
    const ok = await call("start_job", { provider: "pyannote", media: [{ path: "talk.wav" }] });
    expect(ok.isError, textOf(ok)).toBeFalsy();
    expect(adapter.starts[0]!.media[0]).toMatchObject({ kind: "path", path: fs.realpathSync(path.join(root, "talk.wav")) });
    const outside = await call("start_job", { provider: "pyannote", media: [{ path: "/etc/hostname" }] });
    expect(textOf(outside)).toMatch(/outside the allowed directories/);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("reads local files only under the allowed directories", async () => {
    const allowed = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-allowed-"));
    const sibling = allowed + "-evil";
    fs.mkdirSync(sibling);
    fs.writeFileSync(path.join(allowed, "in.wav"), "RIFF");
    fs.writeFileSync(path.join(sibling, "out.wav"), "RIFF");
    fs.symlinkSync(path.join(sibling, "out.wav"), path.join(allowed, "link.wav"));
    const adapter = new ScriptedAdapter({ refreshesUntilDone: 1_000 });
    running = await startInMemoryApp([adapter], { env: { MEDIA_JOBS_ALLOWED_DIRS: allowed }, startPoller: false });
    const ok = await call("start_job", { provider: "pyannote", media: [{ path: path.join(allowed, "in.wav") }] });
    expect(ok.isError).toBeFalsy();
    expect(adapter.starts[0]!.media[0]).toMatchObject({ kind: "path", name: "in.wav", bytes: 4 });
    for (const escape of [path.join(sibling, "out.wav"), path.join(allowed, "..", path.basename(sibling), "out.wav"), path.join(allowed, "link.wav"), "../" + path.basename(sibling) + "/out.wav"]) {
      const refused = await call("start_job", { provider: "pyannote", media: [{ path: escape }] });
      expect(refused.isError, escape).toBe(true);
      expect(textOf(refused)).toMatch(/outside the allowed directories/);
    }
    expect(adapter.starts).toHaveLength(1);
    fs.rmSync(allowed, { recursive: true, force: true });
    fs.rmSync(sibling, { recursive: true, force: true });
  });
});

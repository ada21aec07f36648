// The pyannoteAI adapter against the loopback fake, one flow per task as a user runs it:
// start → poll → fetch results → condense; local uploads; voiceprints kept secret; identify by
// label; remote listing; vendor errors; webhooks delivered by the fake itself.

import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { ProviderError, UserInputError } from "../../../src/errors.js";
import type { Job, JobSnapshot, TaskId } from "../../../src/jobs/job.js";
import { createLogger } from "../../../src/logger.js";
import { createVendorHttpClient } from "../../../src/providers/http/vendor-http-client.js";
import type { MediaInput, ProviderAdapter, ReplayGuard, VoiceprintStore, WebhookEvent } from "../../../src/providers/provider.js";
import { createPyannoteAdapter } from "../../../src/providers/pyannote/pyannote-adapter.js";
import { diarizationFor, startPyannoteFake, type PyannoteFake, type PyannoteFakeOptions } from "../../fakes/pyannote-fake.js";

const WEBHOOK_SECRET = "whsec-flows-0123456789abcdef";

interface Harness {
  fake: PyannoteFake;
  adapter: ProviderAdapter;
  voiceprints: VoiceprintStore & { meta: Map<string, { provider: string; sourceJobId: string }> };
  logLines: string[];
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function memoryVoiceprints(): Harness["voiceprints"] {
  const entries = new Map<string, string>();
  const meta = new Map<string, { provider: string; sourceJobId: string }>();
  return {
    meta,
    put: async (label, voiceprint, info) => {
      entries.set(label, voiceprint);
      meta.set(label, info);
    },
    get: async (label) => entries.get(label),
    list: async () => [...entries.keys()].map((label) => ({ label, provider: "pyannote" as const, sourceJobId: meta.get(label)!.sourceJobId, createdAt: "2026-11-20T00:00:00Z" })),
    delete: async (label) => entries.delete(label),
  };
}

function memoryReplayGuard(): ReplayGuard {
  const seen = new Set<string>();
  return { firstSeen: async (key) => (seen.has(key) ? false : (seen.add(key), true)) };
}

async function harness(options: PyannoteFakeOptions = {}, env: Record<string, string> = {}): Promise<Harness> {
  const fake = await startPyannoteFake(options);
  const voiceprints = memoryVoiceprints();
  const logLines: string[] = [];
  const adapter = createPyannoteAdapter({
    config: loadConfig({ PYANNOTEAI_API_KEY: fake.apiKey, PYANNOTEAI_BASE_URL: fake.baseUrl, PYANNOTEAI_WEBHOOK_SECRET: WEBHOOK_SECRET, ...env }),
    logger: createLogger({ level: "debug", secrets: [fake.apiKey], write: (line) => void logLines.push(line) }),
    voiceprints,
    replayGuard: memoryReplayGuard(),
    downloader: { download: () => Promise.reject(new Error("pyannote never downloads: it takes URLs and uploads")) },
    createHttpClient: (clientOptions) => createVendorHttpClient({ ...clientOptions, retry: { minDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_500 } }),
  });
  cleanups.push(async () => {
    await adapter.close?.();
    fake.server.assertAllHandled();
    fake.storage.assertAllHandled();
    await fake.close();
  });
  return { fake, adapter, voiceprints, logLines };
}

function jobFrom(started: JobSnapshot, task: TaskId, options: Record<string, unknown> = {}, label?: string, inputs: Job["inputs"] = []): Job {
  return {
    id: `pyannote:${started.nativeId}`,
    provider: "pyannote",
    nativeId: started.nativeId,
    task,
    label,
    status: "succeeded",
    inputs,
    options,
    createdAt: "2026-11-20T00:00:00Z",
    updatedAt: "2026-11-20T00:00:00Z",
    resultState: "none",
    pollCount: 0,
  };
}

/** Polls like the job service does, recording every normalized status on the way. */
async function pollToEnd(adapter: ProviderAdapter, nativeId: string, maxPolls = 20): Promise<string[]> {
  const seen: string[] = [];
  for (let poll = 0; poll < maxPolls; poll++) {
    const snapshot = await adapter.get(nativeId, undefined, {});
    seen.push(snapshot.status);
    if (snapshot.status === "succeeded" || snapshot.status === "failed" || snapshot.status === "canceled") return seen;
  }
  throw new Error(`job ${nativeId} did not end in ${maxPolls} polls`);
}

function collectingSink() {
  const parts = new Map<string, string>();
  return {
    parts,
    sink: {
      putPart: async (name: string, data: Uint8Array | string) => void parts.set(name, typeof data === "string" ? data : Buffer.from(data).toString("utf8")),
      appendPart: async (name: string, data: Uint8Array | string) => void parts.set(name, (parts.get(name) ?? "") + (typeof data === "string" ? data : Buffer.from(data).toString("utf8"))),
    },
  };
}

const url = (name: string): MediaInput => ({ kind: "url", url: `https://media.example.com/${name}` });

describe("diarize", () => {
  it("moves created → running → succeeded over polls, fetches the output once, and condenses it to the fake's truth", async () => {
    const { fake, adapter } = await harness({ pollsUntilDone: 4, speakers: 3, segments: 40 });
    const started = await adapter.start({ task: "diarize", media: [url("standup.wav")], options: { min_speakers: 2, max_speakers: 4 } }, {});
    expect(started.status).toBe("queued");
    expect(fake.server.requestsTo("POST", "/v1/diarize")[0]!.json).toEqual({ url: "https://media.example.com/standup.wav", minSpeakers: 2, maxSpeakers: 4 });

    expect(await pollToEnd(adapter, started.nativeId)).toEqual(["queued", "running", "running", "succeeded"]);
    const { parts, sink } = collectingSink();
    const job = jobFrom(started, "diarize", {}, undefined, [{ kind: "url", url: "https://media.example.com/standup.wav" }]);
    const fetched = await adapter.fetchResults(job, sink, {});
    // The vendor deletes outputs after 24 h: the raw copy we keep must hold the diarization.
    expect(parts.get("output.json")).toContain('"diarization"');

    // Truth from the fake's own output, summed here without the adapter's helpers.
    const truth = diarizationFor("https://media.example.com/standup.wav", 3, 40, false).diarization as Array<{ speaker: string; start: number; end: number }>;
    const talk = new Map<string, number>();
    for (const segment of truth) talk.set(segment.speaker, (talk.get(segment.speaker) ?? 0) + segment.end - segment.start);
    const total = [...talk.values()].reduce((sum, value) => sum + value, 0);

    const view = adapter.condense({ job, index: fetched.index, query: { top_k: 5 } });
    const figures = view.figures as { speakers: Array<{ speaker: string; talk_s: number; share: number; turns: number }> };
    expect(figures.speakers.map((entry) => entry.speaker).sort()).toEqual([...talk.keys()].sort());
    for (const entry of figures.speakers) {
      expect(entry.talk_s).toBeCloseTo(talk.get(entry.speaker)!, 0);
      expect(entry.share).toBeCloseTo(talk.get(entry.speaker)! / total, 2);
      expect(entry.turns).toBeGreaterThan(0);
    }
    const rows = view.sections.flatMap((section) => section.rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => /^\d+:\d\d\.\d–\d+:\d\d\.\d SPEAKER_0\d \(\d+\.\d s\)$/.test(row))).toBe(true);
  });

  it("passes the webhook URL when the server has a public address", async () => {
    const { fake, adapter } = await harness();
    await adapter.start({ task: "diarize", media: [url("a.wav")], options: {}, webhookUrl: "https://jobs.example.com/webhooks/pyannote" }, {});
    expect((fake.server.requestsTo("POST", "/v1/diarize")[0]!.json as { webhook?: string }).webhook).toBe("https://jobs.example.com/webhooks/pyannote");
  });

  it("gives a transcript view when the job was transcribed", async () => {
    const { adapter } = await harness({ pollsUntilDone: 1, segments: 12 });
    const started = await adapter.start({ task: "diarize", media: [url("talk.wav")], options: { transcription: true } }, {});
    await pollToEnd(adapter, started.nativeId);
    const job = jobFrom(started, "diarize");
    const fetched = await adapter.fetchResults(job, collectingSink().sink, {});
    const view = adapter.condense({ job, index: fetched.index, query: { top_k: 5, view: "transcript" } });
    const rows = view.sections.flatMap((section) => section.rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toMatch(/^0:0\d\.\d SPEAKER_0\d: \w+/);
  });
});

describe("local files", () => {
  it("uploads through /v1/media/input and a presigned PUT that never carries our key, then diarizes the media:// URL", async () => {
    const { fake, adapter } = await harness();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pyannote-upload-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "Réunion du lundi (final).wav");
    const bytes = Buffer.alloc(300_000);
    for (let index = 0; index < bytes.length; index++) bytes[index] = index % 251;
    fs.writeFileSync(file, bytes);

    await adapter.start({ task: "diarize", media: [{ kind: "path", path: file, name: path.basename(file), bytes: bytes.length }], options: {} }, {});
    const mediaUrl = (fake.server.requestsTo("POST", "/v1/media/input")[0]!.json as { url: string }).url;
    expect(mediaUrl).toMatch(/^media:\/\/[A-Za-z0-9\-_./]{1,255}$/);
    const put = fake.storage.requestsTo("PUT", "/upload/")[0]!;
    expect(put.headers.authorization).toBeUndefined();
    expect(put.body.equals(bytes)).toBe(true);
    expect(fake.uploads.get(mediaUrl)?.equals(bytes)).toBe(true);
    expect((fake.server.requestsTo("POST", "/v1/diarize")[0]!.json as { url: string }).url).toBe(mediaUrl);

    // A second upload of the same name gets its own key: two jobs never share a media:// URL.
    await adapter.start({ task: "diarize", media: [{ kind: "path", path: file, name: path.basename(file), bytes: bytes.length }], options: {} }, {});
    const keys = fake.server.requestsTo("POST", "/v1/media/input").map((request) => (request.json as { url: string }).url);
    expect(new Set(keys).size).toBe(2);
  });

  it("refuses a file over 1 GiB before sending anything", async () => {
    const { fake, adapter } = await harness();
    const huge: MediaInput = { kind: "path", path: "/nonexistent/huge.wav", name: "huge.wav", bytes: 1024 ** 3 + 1 };
    await expect(adapter.start({ task: "diarize", media: [huge], options: {} }, {})).rejects.toThrow(UserInputError);
    expect(fake.server.requests).toHaveLength(0);
  });
});

describe("voiceprints", () => {
  it("stores the voiceprint under the job's label and never shows it: not in the index, the raw part, the view, the logs or a webhook event", async () => {
    const { fake, adapter, voiceprints, logLines } = await harness({ pollsUntilDone: 2, webhookSecret: WEBHOOK_SECRET });
    const received: WebhookEvent[] = [];
    const hook = await webhookReceiver(adapter, received);
    const started = await adapter.start({ task: "voiceprint", label: "carol", media: [url("carol.wav")], options: {}, webhookUrl: hook }, {});
    await pollToEnd(adapter, started.nativeId);
    const job = jobFrom(started, "voiceprint", {}, "carol");
    const { parts, sink } = collectingSink();
    const fetched = await adapter.fetchResults(job, sink, {});
    const secret = fake.voiceprintFor(started.nativeId);
    expect(secret.length).toBeGreaterThan(1_900);

    expect(await voiceprints.get("carol")).toBe(secret);
    expect(voiceprints.meta.get("carol")).toEqual({ provider: "pyannote", sourceJobId: `pyannote:${started.nativeId}` });
    const view = adapter.condense({ job, index: fetched.index, query: { top_k: 5 } });
    // The webhook the fake delivered carried the voiceprint in its output (as pyannoteAI does).
    await waitFor(() => received.length > 0);
    const exposed = [JSON.stringify(fetched), [...parts.values()].join(""), JSON.stringify(view), logLines.join("\n"), JSON.stringify(received), JSON.stringify(adapter.describe({ voiceprints: await voiceprints.list() }))];
    // Any 40-character window of the voiceprint would be a leak; the distinctive head is enough to look for.
    for (const text of exposed) expect(text).not.toContain(secret.slice(0, 40));
    expect(view.summary.join(" ")).toMatch(/stored under label "carol"/);
    expect(view.summary.join(" ")).toMatch(/voiceprints: \["carol"\]/);
    expect(adapter.describe({ voiceprints: await voiceprints.list() }).notices?.join(" ")).toContain("carol");
  });

  it("needs a valid label", async () => {
    const { fake, adapter } = await harness();
    await expect(adapter.start({ task: "voiceprint", media: [url("x.wav")], options: {} }, {})).rejects.toThrow(/label/);
    await expect(adapter.start({ task: "voiceprint", label: "x".repeat(101), media: [url("x.wav")], options: {} }, {})).rejects.toThrow(/100 characters/);
    await expect(adapter.start({ task: "voiceprint", label: "speaker_7", media: [url("x.wav")], options: {} }, {})).rejects.toThrow(/speaker_/);
    expect(fake.server.requests).toHaveLength(0);
  });
});

describe("identify", () => {
  it("resolves labels to stored voiceprints, maps matching options, and names the speakers it matched", async () => {
    const { fake, adapter, voiceprints, logLines } = await harness({ pollsUntilDone: 1, speakers: 3, segments: 30 });
    await voiceprints.put("alice", "VP-alice-" + "a".repeat(500), { provider: "pyannote", sourceJobId: "pyannote:v1" });
    await voiceprints.put("bob", "VP-bob-" + "b".repeat(500), { provider: "pyannote", sourceJobId: "pyannote:v2" });
    const options = { voiceprints: ["alice", "bob"], matching_exclusive: false, matching_threshold: 40, num_speakers: 3 };
    const started = await adapter.start({ task: "identify", media: [url("meeting.wav")], options }, {});
    expect(fake.server.requestsTo("POST", "/v1/identify")[0]!.json).toEqual({
      url: "https://media.example.com/meeting.wav",
      numSpeakers: 3,
      voiceprints: [
        { label: "alice", voiceprint: await voiceprints.get("alice") },
        { label: "bob", voiceprint: await voiceprints.get("bob") },
      ],
      matching: { exclusive: false, threshold: 40 },
    });

    await pollToEnd(adapter, started.nativeId);
    const job = jobFrom(started, "identify", options);
    const fetched = await adapter.fetchResults(job, collectingSink().sink, {});
    const view = adapter.condense({ job, index: fetched.index, query: { top_k: 5 } });
    const text = [...view.summary, ...view.sections.flatMap((section) => section.rows)].join("\n");
    // The fake matches SPEAKER_00 → alice and SPEAKER_01 → bob with 87.5; SPEAKER_02 stays unmatched.
    expect(text).toMatch(/SPEAKER_00\b[^\n]*\balice\b[^\n]*87\.50/);
    expect(text).toMatch(/SPEAKER_01\b[^\n]*\bbob\b/);
    expect(text).toMatch(/SPEAKER_02[^\n]*no match|unmatched[^\n]*SPEAKER_02/i);
    expect(view.sections.flatMap((section) => section.rows).some((row) => /\balice\b.*\(\d+\.\d s\)$/.test(row))).toBe(true);
    expect(JSON.stringify(view)).not.toContain("VP-alice-");
    expect(logLines.join("\n")).not.toContain("VP-alice-");
  });

  it("keeps a voiceprint out of the error when pyannoteAI's refusal quotes it back", async () => {
    const { fake, adapter, voiceprints, logLines } = await harness();
    const secret = "VPx" + "Zq9".repeat(300);
    await voiceprints.put("alice", secret, { provider: "pyannote", sourceJobId: "pyannote:v1" });
    fake.server.injectFault(
      { kind: "status", status: 400, body: { message: `Invalid voiceprint ${secret}`, errors: [{ field: "voiceprints.0.voiceprint", message: secret }] } },
      { method: "POST", pathPrefix: "/v1/identify" },
    );
    const error = await adapter.start({ task: "identify", media: [url("m.wav")], options: { voiceprints: ["alice"] } }, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(/400/);
    for (const text of [(error as Error).message, String((error as Error).stack), logLines.join("\n")]) expect(text).not.toContain(secret.slice(0, 24));
  });

  it("refuses an unknown label with the labels it knows, before calling pyannoteAI", async () => {
    const { fake, adapter, voiceprints } = await harness();
    await voiceprints.put("alice", "VP-alice", { provider: "pyannote", sourceJobId: "pyannote:v1" });
    const error = await adapter.start({ task: "identify", media: [url("m.wav")], options: { voiceprints: ["alice", "dave"] } }, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as Error).message).toMatch(/dave/);
    expect((error as Error).message).toMatch(/alice/);
    await expect(adapter.start({ task: "identify", media: [url("m.wav")], options: { voiceprints: [] } }, {})).rejects.toThrow(UserInputError);
    await expect(adapter.start({ task: "identify", media: [url("m.wav")], options: { voiceprints: Array.from({ length: 51 }, (_, index) => `p${index}`) } }, {})).rejects.toThrow(UserInputError);
    await expect(adapter.start({ task: "identify", media: [url("m.wav")], options: { voiceprints: ["alice"], transcription: true } }, {})).rejects.toThrow(UserInputError);
    await expect(adapter.start({ task: "identify", media: [url("m.wav")], options: { voiceprints: ["alice"], matching_threshold: 101 } }, {})).rejects.toThrow(UserInputError);
    expect(fake.server.requests).toHaveLength(0);
  });
});

describe("remote listing", () => {
  it("pages /v2/jobs newest first with the vendor's cursor, and filters by status", async () => {
    const { fake, adapter } = await harness();
    const ids: string[] = [];
    for (const name of ["1.wav", "2.wav", "3.wav", "4.wav", "5.wav"]) ids.push((await adapter.start({ task: "diarize", media: [url(name)], options: {} }, {})).nativeId);
    const listed: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await adapter.list!({ limit: 2, cursor }, {});
      expect(page.items.length).toBeLessThanOrEqual(2);
      listed.push(...page.items.map((item) => item.nativeId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(listed).toEqual([...ids].reverse());

    await fake.finishJob(ids[1]!);
    const succeeded = await adapter.list!({ limit: 10, status: "succeeded" }, {});
    expect(succeeded.items.map((item) => [item.nativeId, item.status])).toEqual([[ids[1], "succeeded"]]);
    expect(fake.server.requestsTo("GET", "/v2/jobs").at(-1)!.query.get("status")).toBe("succeeded");
  });
});

describe("remote listing within a time window", () => {
  it("keeps only jobs created inside the bounds, and stops paging once the newest-first listing is past them", async () => {
    const { fake, adapter } = await harness();
    const ids: string[] = [];
    for (const name of ["a.wav", "b.wav", "c.wav", "d.wav"]) ids.push((await adapter.start({ task: "diarize", media: [url(name)], options: {} }, {})).nativeId);
    // Spread the creation times an hour apart: a (oldest) … d (newest).
    ids.forEach((id, position) => {
      const job = fake.jobs.get(id)!;
      job.createdAtMs = Date.parse("2026-11-20T08:00:00Z") + position * 3_600_000;
      job.createdAt = new Date(job.createdAtMs).toISOString();
    });
    const window = { createdAfter: "2026-11-20T08:30:00Z", createdBefore: "2026-11-20T10:30:00Z" };
    const first = await adapter.list!({ limit: 2, ...window }, {});
    expect(first.items.map((item) => item.nativeId)).toEqual([ids[2]]);
    expect(first.nextCursor).toBeDefined();
    const second = await adapter.list!({ limit: 2, cursor: first.nextCursor, ...window }, {});
    expect(second.items.map((item) => item.nativeId)).toEqual([ids[1]]);
    // b and a are on this page and a is older than createdAfter: nothing older can match.
    expect(second.nextCursor).toBeUndefined();
  });
});

describe("vendor errors", () => {
  it("reports a wrong key without echoing it, and names the variable to fix", async () => {
    const { fake } = await harness();
    const wrongKey = "wrong-key-abcdefghijklmnop";
    const adapter = createPyannoteAdapter({
      config: loadConfig({ PYANNOTEAI_API_KEY: wrongKey, PYANNOTEAI_BASE_URL: fake.baseUrl }),
      logger: createLogger({ level: "error", secrets: [wrongKey], write: () => undefined }),
      voiceprints: memoryVoiceprints(),
      replayGuard: memoryReplayGuard(),
      downloader: { download: () => Promise.reject(new Error("unused")) },
      createHttpClient: createVendorHttpClient,
    });
    cleanups.push(() => adapter.close?.());
    const error = await adapter.get("any", undefined, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).status).toBe(401);
    expect((error as Error).message).not.toContain(wrongKey);
    expect((error as Error).message).toMatch(/PYANNOTEAI_API_KEY/);
  });

  it("says how to configure when no key is set, and lists itself as unconfigured", async () => {
    const adapter = createPyannoteAdapter({
      config: loadConfig({}),
      logger: createLogger({ level: "error", secrets: [], write: () => undefined }),
      voiceprints: memoryVoiceprints(),
      replayGuard: memoryReplayGuard(),
      downloader: { download: () => Promise.reject(new Error("unused")) },
      createHttpClient: createVendorHttpClient,
    });
    expect(adapter.describe()).toMatchObject({ configured: false, setup: expect.stringContaining("PYANNOTEAI_API_KEY"), canCancel: false, canListRemote: true });
    expect(adapter.cancel).toBeUndefined();
    await expect(adapter.start({ task: "diarize", media: [url("a.wav")], options: {} }, {})).rejects.toThrow(/PYANNOTEAI_API_KEY/);
  });

  it("turns a 400 into a non-retryable error with the vendor's vetted message, and never re-sends the POST", async () => {
    const { fake, adapter } = await harness();
    fake.server.injectFault({ kind: "status", status: 400, body: { message: "Invalid request", errors: [{ field: "url", message: "Invalid URL" }] } }, { method: "POST", pathPrefix: "/v1/diarize" });
    const error = await adapter.start({ task: "diarize", media: [url("a.wav")], options: {} }, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/400.*Invalid request/);
    expect(fake.server.requestsTo("POST", "/v1/diarize")).toHaveLength(1);
  });

  it("does not re-send a diarize POST that got a 5xx (the work may have started)", async () => {
    const { fake, adapter } = await harness();
    fake.server.injectFault({ kind: "status", status: 502, body: { message: "Bad gateway" } }, { method: "POST", pathPrefix: "/v1/diarize" });
    await expect(adapter.start({ task: "diarize", media: [url("a.wav")], options: {} }, {})).rejects.toBeInstanceOf(ProviderError);
    expect(fake.server.requestsTo("POST", "/v1/diarize")).toHaveLength(1);
  });
});

describe("webhooks from the fake", () => {
  it("verifies a delivery the fake signed when a job ended, and moves the job by it", async () => {
    const { fake, adapter } = await harness({ webhookSecret: WEBHOOK_SECRET });
    const received: WebhookEvent[] = [];
    const hook = await webhookReceiver(adapter, received);
    const started = await adapter.start({ task: "diarize", media: [url("hook.wav")], options: {}, webhookUrl: hook }, {});
    await fake.finishJob(started.nativeId);
    await waitFor(() => received.length > 0);
    expect(received.map((event) => ({ nativeId: event.nativeId, status: event.snapshot?.status }))).toEqual([{ nativeId: started.nativeId, status: "succeeded" }]);
    expect(fake.webhookDeliveries).toMatchObject([{ jobId: started.nativeId, status: "succeeded", httpStatus: 200 }]);
  });

  it("refuses a malformed body as bad input, not as a forged one", async () => {
    const { fake, adapter } = await harness();
    const received: WebhookEvent[] = [];
    const hook = await webhookReceiver(adapter, received);
    expect(await fake.sendWebhook(hook, { hello: "world" }, { secret: WEBHOOK_SECRET })).toBe(400);
    expect(await fake.sendWebhook(hook, { jobId: "j1", status: "succeeded" }, { secret: "not-the-secret" })).toBe(401);
    expect(await fake.sendWebhook(hook, { jobId: "j1", status: "failed" }, { secret: WEBHOOK_SECRET, tamper: true })).toBe(401);
    expect(received).toHaveLength(0);
  });
});

describe("the fake's clock and limits (what MCP-level tests rely on)", () => {
  it("ends a job by time when polls alone would not", async () => {
    // The fake's own clock, moved by hand: wall time under load made this flaky (a loaded CI
    // machine could pass 20 ms between the create and the first GET).
    let fakeNow = Date.now();
    const { fake, adapter } = await harness({ createdPolls: 1_000, runningPolls: 1_000, runningAfterMs: 20, succeededAfterMs: 40, now: () => fakeNow });
    const started = await adapter.start({ task: "diarize", media: [url("slow.wav")], options: {} }, {});
    expect((await adapter.get(started.nativeId, undefined, {})).status).toBe("queued");
    fakeNow += 60;
    expect((await adapter.get(started.nativeId, undefined, {})).status).toBe("succeeded");
    expect(fake.jobs.get(started.nativeId)!.polls).toBe(2);
  });

  it("answers 429 with Retry-After and X-RateLimit-* once its minute is spent", async () => {
    const { fake } = await harness({ requestsPerMinute: 2 });
    const get = () => fetch(`${fake.baseUrl}/v2/jobs`, { headers: { authorization: `Bearer ${fake.apiKey}` } });
    const answers = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await get();
      await response.arrayBuffer();
      answers.push({ status: response.status, retryAfter: response.headers.get("retry-after"), remaining: response.headers.get("x-ratelimit-remaining") });
    }
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
    expect(answers[1]!.remaining).toBe("0");
    expect(Number(answers[2]!.retryAfter)).toBeGreaterThan(0);
  });

  it("keeps the output only for its TTL, like pyannoteAI's 24 h", async () => {
    const { fake, adapter } = await harness({ pollsUntilDone: 1, outputTtlMs: 30 });
    const started = await adapter.start({ task: "diarize", media: [url("brief.wav")], options: {} }, {});
    await pollToEnd(adapter, started.nativeId);
    expect(fake.jobs.get(started.nativeId)!.succeededAt).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = await adapter.fetchResults(jobFrom(started, "diarize"), collectingSink().sink, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryable).toBe(false);
  });
});

/** A loopback endpoint that hands each delivery to the adapter, as the HTTP server does. */
async function webhookReceiver(adapter: ProviderAdapter, received: WebhookEvent[]): Promise<string> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      try {
        const event = await adapter.handleWebhook!({ headers: request.headers as Record<string, string | undefined>, rawBody: Buffer.concat(chunks) });
        received.push(event);
        response.writeHead(200).end();
      } catch (error) {
        response.writeHead(error instanceof UserInputError ? 400 : 401).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/pyannote`;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error("condition not met in 2 s");
}

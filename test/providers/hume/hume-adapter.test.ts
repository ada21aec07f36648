import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NotConfiguredError, UserInputError } from "../../../src/errors.js";
import type { JobSnapshot } from "../../../src/jobs/job.js";
import { createHumeAdapter } from "../../../src/providers/hume/hume-adapter.js";
import type { HumeIndex } from "../../../src/providers/hume/hume-index.js";
import type { MediaInput, ProviderAdapter, ResultSink } from "../../../src/providers/provider.js";
import { startHumeFake, type HumeFake } from "../../fakes/hume-fake.js";
import { jobFromSnapshot, testAdapterDeps } from "../../support/adapter-deps.js";

let fake: HumeFake;
let adapter: ProviderAdapter;
let directory: string;

const depsFor = (env: Record<string, string>) => testAdapterDeps({ MEDIA_JOBS_DATA_DIR: directory, ...env }, { logLevel: "error" });

beforeAll(async () => {
  directory = mkdtempSync(path.join(os.tmpdir(), "hume-adapter-"));
  fake = await startHumeFake({ durationS: 12 });
  adapter = createHumeAdapter(depsFor({ HUME_API_KEY: fake.apiKey, HUME_BASE_URL: fake.baseUrl }));
});

afterEach(() => fake.server.assertAllHandled());

afterAll(async () => {
  await adapter.close?.();
  await fake.close();
  rmSync(directory, { recursive: true, force: true });
});

const jobFor = (snapshot: JobSnapshot, options: Record<string, unknown> = {}) => jobFromSnapshot("hume", "expression", snapshot, { options });

function memorySink() {
  const parts = new Map<string, { data: Buffer; contentType: string }>();
  const sink: ResultSink = {
    putPart: async (name, data, contentType) => void parts.set(name, { data: Buffer.from(data), contentType }),
    appendPart: async (name, data, contentType) => {
      const previous = parts.get(name)?.data ?? Buffer.alloc(0);
      parts.set(name, { data: Buffer.concat([previous, Buffer.from(data)]), contentType });
    },
  };
  return { parts, sink };
}

async function runToCompletion(media: MediaInput[], options: Record<string, unknown> = {}, webhookUrl?: string) {
  const started = await adapter.start({ task: "expression", media, options, webhookUrl }, {});
  const seen: string[] = [started.status];
  let snapshot = started;
  for (let poll = 0; poll < 5 && snapshot.status !== "succeeded" && snapshot.status !== "failed"; poll++) {
    snapshot = await adapter.get(started.nativeId, undefined, {});
    seen.push(`${snapshot.status}/${snapshot.providerStatus}`);
  }
  return { started, snapshot, seen };
}

async function fetchAndCondense(snapshot: JobSnapshot, options: Record<string, unknown> = {}, query: Record<string, unknown> = {}) {
  const { parts, sink } = memorySink();
  const job = jobFor(snapshot, options);
  const fetched = await adapter.fetchResults(job, sink, {});
  // The store keeps the index as JSON; condense must work from that.
  const index = JSON.parse(JSON.stringify(fetched.index)) as HumeIndex;
  const view = adapter.condense({ job, index, query: { top_k: 3, ...query } });
  return { parts, fetched, index, view };
}

describe("Hume adapter against the loopback fake", () => {
  it("runs a URL job to completion and stores raw predictions, artifacts and an index", async () => {
    const options = { models: { face: { fps_pred: 2, facs: {} }, prosody: { granularity: "utterance", identify_speakers: true } } };
    const { started, snapshot, seen } = await runToCompletion(
      [{ kind: "url", url: "https://media.example.com/talk.mp4" }],
      options,
      "https://mcp.example.com/webhooks/hume",
    );
    expect(started).toMatchObject({ status: "queued", providerStatus: "QUEUED", task: "expression" });
    expect(seen).toEqual(["queued", "queued/QUEUED", "running/IN_PROGRESS", "succeeded/COMPLETED"]);
    expect(snapshot.createdAt).toBe("2026-03-01T10:00:01.000Z");
    expect(snapshot.endedAt).toBe("2026-03-01T10:00:06.000Z");
    expect(snapshot.inputs).toEqual([{ kind: "url", url: "https://media.example.com/talk.mp4" }]);

    const start = fake.starts.at(-1)!;
    expect(start.contentType).toContain("application/json");
    expect(start.config).toEqual({ ...options, urls: ["https://media.example.com/talk.mp4"], callback_url: "https://mcp.example.com/webhooks/hume" });

    const { parts, fetched, view } = await fetchAndCondense(snapshot, options);
    expect(JSON.parse(parts.get("predictions.json")!.data.toString("utf8"))).toEqual(fake.predictionsFor(snapshot.nativeId));
    expect(parts.get("artifacts.zip")!.contentType).toBe("application/zip");
    expect(parts.get("artifacts.zip")!.data.subarray(0, 2).toString()).toBe("PK");
    expect(fetched.description).toMatch(/^1 file, [\d,]+ predictions, artifacts 1 KB$/);
    expect(view.summary.some((line) => /^face \(24 frames, 0:00\.0–0:11\.5\): /.test(line.trim()))).toBe(true);
    expect(view.summary.some((line) => line.trim().startsWith("speaker spk_0:"))).toBe(true);
    expect(view.summary.some((line) => line.trim().startsWith("FACS:"))).toBe(true);
  });

  it("sends text inputs in the JSON body and condenses them by position", async () => {
    const text = "I love this plan. But the budget worries me.";
    const options = { models: { language: { granularity: "sentence", sentiment: {} } } };
    const { snapshot } = await runToCompletion([{ kind: "text", text }], options);
    expect(fake.starts.at(-1)!.config).toEqual({ ...options, text: [text] });
    const { view } = await fetchAndCondense(snapshot, options, { view: "timeline" });
    expect(view.summary[0]).toMatch(/^language: 2 sentences; top \(mean over sentences\)/);
    expect(view.sections[0]!.rows[0]).toMatch(/^char 0 "I love this plan\." /);
  });

  it("uploads local files as multipart: a json part, then one file part each", async () => {
    const first = path.join(directory, "meeting.wav");
    const second = path.join(directory, "clip.mp4");
    writeFileSync(first, Buffer.alloc(70_000, 7));
    writeFileSync(second, Buffer.from("not really a video"));
    const media: MediaInput[] = [
      { kind: "path", path: first, name: "meeting.wav", bytes: 70_000 },
      { kind: "path", path: second, name: "clip.mp4", bytes: 18 },
      { kind: "url", url: "https://media.example.com/extra.mp3" },
    ];
    const { snapshot } = await runToCompletion(media, { models: { prosody: {} } }, "https://mcp.example.com/webhooks/hume");
    const start = fake.starts.at(-1)!;
    expect(start.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(start.parts).toEqual(["json", "file", "file"]);
    expect(start.config).toEqual({ models: { prosody: {} }, urls: ["https://media.example.com/extra.mp3"], callback_url: "https://mcp.example.com/webhooks/hume" });
    expect(start.files).toEqual([
      { filename: "meeting.wav", contentType: "audio/wav", bytes: 70_000, md5sum: createHash("md5").update(Buffer.alloc(70_000, 7)).digest("hex") },
      { filename: "clip.mp4", contentType: "video/mp4", bytes: 18, md5sum: createHash("md5").update("not really a video").digest("hex") },
    ]);
    expect(snapshot.inputs).toEqual([
      { kind: "url", url: "https://media.example.com/extra.mp3" },
      { kind: "path", path: "meeting.wav", name: "meeting.wav" },
      { kind: "path", path: "clip.mp4", name: "clip.mp4" },
    ]);
    const { view } = await fetchAndCondense(snapshot);
    expect(view.about[0]).toContain("3 files; models: prosody");
    expect(view.summary).toContain("file 1: meeting.wav (language en)");
  });

  it("rejects bad options and limits with messages that say what to fix, before calling Hume", async () => {
    const url: MediaInput = { kind: "url", url: "https://media.example.com/a.mp4" };
    const before = fake.starts.length;
    const attempt = (options: Record<string, unknown>, media: MediaInput[] = [url]) =>
      adapter.start({ task: "expression", media, options }, {});
    await expect(attempt({ models: { face: { fps_pred: -1 } } })).rejects.toThrow(/options\.models\.face\.fps_pred: fps_pred must be ≥ 0/);
    await expect(attempt({ models: { prosody: { window: { length: 4, step: 0.2 } } } })).rejects.toThrow(/options\.models\.prosody\.window\.step: window\.step must be ≥ 0\.5 seconds/);
    await expect(attempt({ transcription: { confidence_threshold: 1.5 } })).rejects.toThrow(/confidence_threshold must be between 0 and 1/);
    await expect(attempt({ transcription: { language: "xx" } })).rejects.toThrow(/transcription\.language must be one of: zh, da, nl, en/);
    await expect(attempt({ models: { face: { fps: 3 } } })).rejects.toThrow(/options\.models\.face: unknown option "fps"/);
    await expect(attempt({ models: { prosody: { granularity: "paragraph" } } })).rejects.toThrow(UserInputError);
    const urls = Array.from({ length: 101 }, (_, index): MediaInput => ({ kind: "url", url: `https://media.example.com/${index}.mp4` }));
    await expect(attempt({}, urls)).rejects.toThrow(/at most 100 URLs per job; got 101/);
    const files = Array.from({ length: 101 }, (_, index): MediaInput => ({ kind: "path", path: `/tmp/${index}.wav`, name: `${index}.wav`, bytes: 10 }));
    await expect(attempt({}, files)).rejects.toThrow(/at most 100 files per job; got 101/);
    await expect(attempt({}, [{ kind: "path", path: "/tmp/big.mov", name: "big.mov", bytes: 1024 ** 3 + 1 }])).rejects.toThrow(/big\.mov is 1\.00 GB; Hume accepts at most 1 GB per file/);
    await expect(attempt({}, [{ kind: "path", path: path.join(directory, "gone.wav"), name: "gone.wav", bytes: 10 }])).rejects.toThrow(/gone\.wav can no longer be read/);
    expect(fake.starts.length).toBe(before);
  });

  it("keeps per-file errors of multi-file jobs and filters by file", async () => {
    const media: MediaInput[] = [
      { kind: "url", url: "https://media.example.com/ok.mp4" },
      { kind: "url", url: "https://media.example.com/unreachable.mp4" },
      { kind: "url", url: "https://media.example.com/bundle.zip" },
    ];
    const { snapshot } = await runToCompletion(media, { models: { face: {} } });
    expect(snapshot.status).toBe("succeeded");
    expect(snapshot.warnings).toEqual(["Hume could not process 2 inputs (1 succeeded); get_predictions lists the per-file errors"]);
    const { view, fetched } = await fetchAndCondense(snapshot, {}, {});
    expect(fetched.description).toMatch(/^5 files \(2 failed\)/);
    expect(view.summary).toContain("file 1: https://media.example.com/unreachable.mp4: failed — Failed to fetch media from https://media.example.com/unreachable.mp4: 403 Forbidden");
    expect(view.summary).toContain("file 2: https://media.example.com/bundle.zip › archive/clip-a.mp4");
    expect(view.summary).toContain("file 4: archive/clip-c.mov: failed — Unsupported codec");
    const one = adapter.condense({ job: jobFor(snapshot), index: fetched.index, query: { top_k: 3, file: "clip-b" } });
    expect(one.summary[0]).toBe("file 3: https://media.example.com/bundle.zip › archive/clip-b.mp4");
    expect(one.notes?.[0]).toBe("filtered: file clip-b (1 of 5)");
  });

  it("reports a failed job with a short, clean vendor message", async () => {
    const { snapshot } = await runToCompletion([{ kind: "url", url: "https://media.example.com/fail-job.mp4" }]);
    expect(snapshot.status).toBe("failed");
    expect(snapshot.providerStatus).toBe("FAILED");
    expect(snapshot.error).toEqual({ code: "provider_failed", message: "Job failed: media could not be decoded (internal ref 7781)" });
  });

  it("still stores results when the artifacts download fails, with a note", async () => {
    const { snapshot } = await runToCompletion([{ kind: "url", url: "https://media.example.com/short.mp4" }], { models: { burst: {} } });
    fake.server.injectFault({ kind: "status", status: 404, body: { message: "no artifacts" } }, { pathPrefix: `/v0/batch/jobs/${snapshot.nativeId}/artifacts` });
    const { parts, index, view } = await fetchAndCondense(snapshot);
    expect(parts.has("predictions.json")).toBe(true);
    expect(parts.has("artifacts.zip")).toBe(false);
    expect(index.notes[0]).toMatch(/^the artifacts zip \(CSV per model, saved faces\) could not be downloaded: /);
    expect(view.notes?.some((note) => note.startsWith("the artifacts zip"))).toBe(true);
  });

  it("lists remote jobs newest first, paging by creation time", async () => {
    const listing = await startHumeFake();
    const lister = createHumeAdapter(depsFor({ HUME_API_KEY: listing.apiKey, HUME_BASE_URL: listing.baseUrl }));
    try {
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) {
        ids.push((await lister.start({ task: "expression", media: [{ kind: "url", url: `https://m.example.com/${index}.mp4` }], options: {} }, {})).nativeId);
      }
      const first = await lister.list!({ limit: 2 }, {});
      expect(first.items.map((item) => item.nativeId)).toEqual([ids[4], ids[3]]);
      expect(first.items[0]).toMatchObject({ status: "queued", providerStatus: "QUEUED", task: "expression" });
      const second = await lister.list!({ limit: 2, cursor: first.nextCursor }, {});
      expect(second.items.map((item) => item.nativeId)).toEqual([ids[2], ids[1]]);
      const third = await lister.list!({ limit: 2, cursor: second.nextCursor }, {});
      expect(third.items.map((item) => item.nativeId)).toEqual([ids[0]]);
      expect(third.nextCursor).toBeUndefined();
      const paged = listing.server.requestsTo("GET", "/v0/batch/jobs").at(-1)!;
      expect(paged.query.get("when")).toBe("created_before");
      expect(paged.query.get("timestamp_ms")).toBe(String(listing.jobs.get(ids[1]!)!.createdMs));
      expect(paged.query.get("sort_by")).toBe("created");

      const running = await lister.list!({ limit: 10, status: "running" }, {});
      expect(running.items).toEqual([]);
      expect(listing.server.requestsTo("GET", "/v0/batch/jobs").at(-1)!.query.getAll("status")).toEqual(["IN_PROGRESS"]);
      await expect(lister.list!({ limit: 2, cursor: "garbage" }, {})).rejects.toThrow(/not a Hume list cursor/);
      listing.server.assertAllHandled();
    } finally {
      await lister.close?.();
      await listing.close();
    }
  });

  it("treats the unsigned callback only as a hint to re-fetch", async () => {
    const nativeId = [...fake.jobs.keys()][0]!;
    const forged = Buffer.from(JSON.stringify({ job_id: nativeId, status: "COMPLETED", predictions: [{ fake: true }] }));
    expect(await adapter.handleWebhook!({ headers: {}, rawBody: forged })).toEqual({ nativeId });
    expect(await adapter.handleWebhook!({ headers: {}, rawBody: fake.callbackBody(nativeId) })).toEqual({ nativeId });
    await expect(adapter.handleWebhook!({ headers: {}, rawBody: Buffer.from("{}") })).rejects.toThrow(UserInputError);
    await expect(adapter.handleWebhook!({ headers: {}, rawBody: Buffer.from("not json") })).rejects.toThrow(/not a Hume job callback/);
  });

  it("describes itself as retired, and needs HUME_API_KEY", async () => {
    const info = adapter.describe();
    expect(info.configured).toBe(true);
    expect(info.canListRemote).toBe(true);
    expect(info.canCancel).toBe(false);
    expect(info.notices?.[0]).toMatch(/retired .* on 2026-06-14.*HUME_BASE_URL/);
    expect(info.tasks[0]).toMatchObject({ task: "expression", inputs: ["url", "path", "text"], views: ["summary", "timeline", "arc"] });

    const unconfigured = createHumeAdapter(depsFor({}));
    expect(unconfigured.describe()).toMatchObject({ configured: false, setup: expect.stringContaining("HUME_API_KEY") });
    await expect(unconfigured.start({ task: "expression", media: [{ kind: "text", text: "hi" }], options: {} }, {})).rejects.toThrow(NotConfiguredError);
  });

  it("never shows the API key in errors", async () => {
    const wrong = createHumeAdapter(depsFor({ HUME_API_KEY: "wrong-key-5566778899", HUME_BASE_URL: fake.baseUrl }));
    const error = (await wrong.get("abc", undefined, {}).then(
      () => undefined,
      (caught: unknown) => caught,
    )) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain("wrong-key-5566778899");
    expect(fake.server.requests.at(-1)!.headers["x-hume-api-key"]).toBe("wrong-key-5566778899");
  });
});

// DESIGN §6.4–6.5 as a property over every provider's recorded-shape fixture: for every budget
// from the minimum to the maximum, paging with next_cursor reaches the end, shows every detail
// row exactly once and in order, never returns the page a cursor came from, and no page is
// larger than its budget counted in UTF-8 bytes / 4.

import fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_MAX_TOKENS, MIN_MAX_TOKENS, renderWithinBudget } from "../../src/condense/render.js";
import type { CondensedView, PredictionQuery } from "../../src/condense/view.js";
import type { Job, ProviderId, TaskId } from "../../src/jobs/job.js";
import { buildHamsaIndex, condenseHamsa } from "../../src/providers/hamsa/hamsa-condense.js";
import { parseHamsaTranscript } from "../../src/providers/hamsa/hamsa-transcript.js";
import { condenseHumanStandard } from "../../src/providers/humanstandard/humanstandard-condense.js";
import { condenseHumeIndex } from "../../src/providers/hume/hume-condense.js";
import { buildHumeIndex } from "../../src/providers/hume/hume-index.js";
import { condenseCloudAudio } from "../../src/providers/hume/hume-cloud-condense-audio.js";
import { condenseCloudImages } from "../../src/providers/hume/hume-cloud-condense-images.js";
import { buildAudioIndex, buildImageIndex } from "../../src/providers/hume/hume-cloud-index.js";
import { fakeFaces, fakeUtterances, makeTestJpeg } from "../fakes/hume-cloud-fake.js";
import { speechLike } from "../providers/hume/hume-cloud-support.js";
import { generateHumePredictions } from "../../src/providers/hume/hume-payload-generator.js";
import { createLocalAdapter } from "../../src/providers/local/local-adapter.js";
import type { LocalIndex } from "../../src/providers/local/local-report.js";
import { buildPyannoteIndex, condensePyannote } from "../../src/providers/pyannote/pyannote-condense.js";
import type { PyannoteOutput } from "../../src/providers/pyannote/pyannote-api.js";
import { fakeDeps, fakeSink } from "../providers/local/fake-deps.js";
import { longArabicTranscript, provenanceIndex, readFixture } from "../support/prediction-fixtures.js";
import { concat, harmonicStack, silence, tempDir, writeWav } from "../providers/local/signals.js";


function jobOf(provider: ProviderId, task: TaskId, label?: string): Job {
  return {
    id: `${provider}:0d4f3c2a-7e51-4a0b-9a8e-2f1d6c5b4a39`,
    provider,
    nativeId: "0d4f3c2a-7e51-4a0b-9a8e-2f1d6c5b4a39",
    task,
    ...(label ? { label } : {}),
    status: "succeeded",
    inputs: [{ kind: "url", url: "https://media.example/interview.mp3" }],
    options: {},
    createdAt: "2026-03-01T10:00:00Z",
    updatedAt: "2026-03-01T10:01:00Z",
    resultState: "stored",
    pollCount: 3,
  };
}

/** The local analyzer on a minute of speech-like audio: speech and pause rows alternate. */
async function localView(): Promise<CondensedView> {
  const rate = 16_000;
  const pattern = concat(harmonicStack(1.6, rate, 150, 0.3, { amHz: 4 }), silence(0.9, rate));
  const signal = new Float32Array(pattern.length * 12);
  for (let index = 0; index < 12; index++) signal.set(pattern, index * pattern.length);
  const file = writeWav(tempDir(), "standup.wav", [signal], rate);
  const adapter = createLocalAdapter(fakeDeps(), { maxConcurrent: 1 });
  try {
    const started = await adapter.start({ task: "acoustic", media: [{ kind: "path", path: file, name: "standup.wav", bytes: fs.statSync(file).size }], options: {} }, {});
    for (let attempt = 0; attempt < 400; attempt++) {
      const snapshot = await adapter.get(started.nativeId, undefined, {});
      if (snapshot.status === "succeeded") break;
      if (snapshot.status === "failed" || snapshot.status === "canceled") throw new Error(`local analysis ${snapshot.status}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const job = { ...jobOf("local", "acoustic"), nativeId: started.nativeId, id: `local:${started.nativeId}` };
    const fetched = await adapter.fetchResults(job, fakeSink(), {});
    return adapter.condense({ job, index: fetched.index as LocalIndex, query: { top_k: 5 } });
  } finally {
    await adapter.close?.();
  }
}

const QUERY: PredictionQuery = { top_k: 5 };

function fixtureViews(): Record<string, () => CondensedView> {
  const pyannote = (name: string, task: TaskId, view?: string) => {
    const { output } = readFixture(`pyannote/${name}`) as { output: PyannoteOutput };
    return condensePyannote(jobOf("pyannote", task), buildPyannoteIndex(task, output), { ...QUERY, view });
  };
  const hume = (payload: unknown) => condenseHumeIndex(JSON.parse(JSON.stringify(buildHumeIndex(payload))), { ...QUERY, view: "timeline" });
  return {
    "pyannote diarize": () => pyannote("diarize-transcribed.json", "diarize"),
    "pyannote diarize, transcript": () => pyannote("diarize-transcribed.json", "diarize", "transcript"),
    "pyannote identify": () => pyannote("identify.json", "identify"),
    "hume (recorded shape)": () => hume(readFixture("hume/predictions-small.json")),
    "hume (generated 1 min)": () =>
      hume(generateHumePredictions([{ source: { type: "url", url: "https://media.example/talk.mp4" }, durationS: 60, models: { face: { fps: 1, groups: 2 }, prosody: { speakers: 2 }, language: {} } }])),
    "hamsa (Arabic)": () => condenseHamsa(jobOf("hamsa", "transcribe", "مقابلة عن الاقتصاد"), buildHamsaIndex(parseHamsaTranscript(longArabicTranscript()), {}), QUERY),
    "humanstandard": () => condenseHumanStandard(jobOf("humanstandard", "provenance"), provenanceIndex(), QUERY),
    "hume audio_expression (timeline)": () => condenseCloudAudio({ job: jobOf("hume", "audio_expression"), index: cloudAudioIndex(), query: { ...QUERY, view: "timeline" } }),
    "hume image_expression": () => {
      const images = Array.from({ length: 12 }, (_, position) => makeTestJpeg({ width: 640, height: 480, faces: position % 4, seed: String(position) }));
      const { index } = buildImageIndex(images.map((_, position) => `frame-${position}.jpg`), [{ first: 0, count: images.length, response: { results: images.map((image) => ({ faces: fakeFaces(image) })) } }]);
      return condenseCloudImages({ job: jobOf("hume", "image_expression"), index: JSON.parse(JSON.stringify(index)), query: QUERY });
    },
  };
}

/** Two minutes of speech-like bursts in two pieces, scored as the strict fake of Hume's current API does. */
function cloudAudioIndex(): unknown {
  const bursts = Array.from({ length: 16 }, (_, index) => ({ start: index * 7.5 + 0.4, end: index * 7.5 + 6, hz: 200 + 40 * (index % 7), amplitude: 0.2 + 0.02 * (index % 5) }));
  const signal = speechLike(120, bursts);
  const samples = Int16Array.from(signal, (value) => Math.round(value * 32767));
  const pieces = [
    { index: 0, start: 0, end: 60 * 16_000 - 4_000 },
    { index: 1, start: 60 * 16_000 - 4_000, end: samples.length },
  ].map((piece) => ({ ...piece, response: { utterances: fakeUtterances(samples.subarray(piece.start, piece.end), 3000) } }));
  return JSON.parse(JSON.stringify(buildAudioIndex("interview.mp3", { totalSamples: samples.length, timerMs: 3000 }, pieces).index));
}

/** Every small budget, then a dense sweep up to the maximum (all of them would take minutes). */
const BUDGETS = [
  ...Array.from({ length: 1_000 - MIN_MAX_TOKENS + 1 }, (_, index) => MIN_MAX_TOKENS + index),
  ...Array.from({ length: Math.floor((MAX_MAX_TOKENS - 1_000) / 37) }, (_, index) => 1_037 + index * 37),
  MAX_MAX_TOKENS,
];

/** DESIGN §6.4, counted here independently of the renderer: UTF-8 bytes of the whole result / 4. */
const tokensOf = (result: unknown) => Math.ceil(new TextEncoder().encode(JSON.stringify(result)).length / 4);

function textOf(page: { content: Array<{ type: string; text?: string }> }): string {
  return page.content.find((item) => item.type === "text")!.text!;
}

/** Pages through a view with one budget; returns the rows seen, checking each page on the way. */
function walk(view: CondensedView, budget: number, header: string[]): { rows: string[]; pages: number } {
  const all = view.sections.flatMap((section) => section.rows);
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages <= all.length + 2; pages++) {
    const page = renderWithinBudget({ jobId: "x:1", status: "succeeded", header, view, query: QUERY, maxTokens: budget, cursor, resultUri: "media-jobs://jobs/x:1/result" });
    const tokens = tokensOf(page);
    if (tokens > budget) throw new Error(`budget ${budget}: page ${pages} is ${tokens} tokens`);
    const structured = page.structuredContent;
    if (structured.needs_max_tokens !== undefined) throw new Error(`budget ${budget}: page ${pages} says it needs ${structured.needs_max_tokens}`);
    // A continuation page always shows a row; the first may hold the summary alone.
    if (cursor !== undefined && structured.rows_shown === 0) throw new Error(`budget ${budget}: page ${pages} shows no row`);
    if (structured.rows_shown > 0) {
      if (structured.first_row !== seen.length + 1) throw new Error(`budget ${budget}: page ${pages} starts at row ${structured.first_row}, expected ${seen.length + 1}`);
      const lines = textOf(page).split("\n");
      let at = 0;
      for (const row of all.slice(seen.length, seen.length + structured.rows_shown)) {
        const found = lines.indexOf(row, at);
        if (found < 0) throw new Error(`budget ${budget}: page ${pages} claims row "${row}" but does not show it`);
        at = found + 1;
        seen.push(row);
      }
    }
    if (structured.next_cursor === undefined) return { rows: seen, pages };
    if (structured.next_cursor === cursor) throw new Error(`budget ${budget}: page ${pages} hands back its own cursor`);
    cursor = structured.next_cursor;
  }
  throw new Error(`budget ${budget}: paging did not end within ${all.length + 2} pages`);
}

describe("paging reaches the end at every budget (DESIGN §6.5)", () => {
  const views: Record<string, CondensedView> = {};
  beforeAll(async () => {
    for (const [name, make] of Object.entries(fixtureViews())) views[name] = make();
    views["local"] = await localView();
  }, 60_000);

  for (const name of ["local", ...Object.keys(fixtureViews())]) {
    it(`${name}: every row exactly once, every page within budget`, () => {
      const view = views[name]!;
      const all = view.sections.flatMap((section) => section.rows);
      expect(all.length).toBeGreaterThan(4);
      const header = [`x:1 — a job by a provider — "a label of some length"`];
      for (const budget of BUDGETS) {
        const { rows } = walk(view, budget, header);
        expect(rows, `budget ${budget}`).toEqual(all);
      }
    });
  }
});

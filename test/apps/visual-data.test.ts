// get_visual_data's pages: an hour of local contours and a long diarization reach the view in
// pages that each fit the page size, in time order, with every stored row exactly once.

import { describe, expect, it } from "vitest";
import { readVisualPage, VISUAL_PAGE_BYTES, type VisualPage } from "../../src/apps/visual-data.js";
import type { AppContext } from "../../src/context.js";
import type { Job } from "../../src/jobs/job.js";
import type { FileReport, LocalReport } from "../../src/providers/local/local-report.js";
import { toIndex } from "../../src/providers/local/local-report.js";
import type { PyannoteIndex } from "../../src/providers/pyannote/pyannote-condense.js";

function job(provider: Job["provider"], task: Job["task"]): Job {
  return {
    id: `${provider}:hour`,
    provider,
    nativeId: "hour",
    task,
    status: "succeeded",
    inputs: [],
    options: {},
    createdAt: "2026-11-30T00:00:00Z",
    updatedAt: "2026-11-30T01:00:00Z",
    resultState: "stored",
    pollCount: 0,
  } as unknown as Job;
}

function appWith(index: unknown, parts: Record<string, string> = {}): AppContext {
  return {
    store: {
      getResultIndex: () => ({ index }),
      getResultPart: (_job: string, name: string) =>
        parts[name] === undefined ? undefined : { name, contentType: "application/json", bytes: parts[name]!.length, data: Buffer.from(parts[name]!) },
    },
  } as unknown as AppContext;
}

function hourOfLocal(): LocalReport {
  const seconds = 3600;
  const segments = Array.from({ length: 900 }, (_, i) => ({ start: i * 4, end: i * 4 + 3.2, levelDbfs: -20.5, f0MedianHz: 150.2, f0P10Hz: 120.1, f0P90Hz: 190.7, voicedRatio: 0.61, syllables: 12 }));
  const f0: Array<[number, number]> = [];
  for (const segment of segments) for (let t = segment.start; t < segment.end; t += 0.05) f0.push([Number(t.toFixed(2)), 100 + (f0.length % 97)]);
  const file: FileReport = {
    name: "hour.wav",
    format: "wav",
    sampleRate: 16_000,
    channels: 1,
    durationSeconds: seconds,
    damagedFrames: 0,
    loudness: { integratedLufs: -23, loudnessRangeLu: 6, maxMomentaryLufs: -12, maxShortTermLufs: -15, samplePeakDbfs: -1, truePeakDbtp: -0.8, clippedSamples: 0 },
    speech: { ratio: 0.8, speechSeconds: 2880, segmentCount: segments.length, pauses: { count: 899, meanSeconds: 0.8, longestSeconds: 0.8, totalSeconds: 720 } },
    pitch: { medianHz: 150, p10Hz: 110, p90Hz: 190, semitoneStd: 2, voicedRatio: 0.6 },
    rate: { syllables: 10_800, perSecondOfSpeech: 3.75, perSecondOverall: 3 },
    voiceChanges: [],
    notes: [],
    segments,
    timelines: { shortTermLufsPerSecond: Array.from({ length: seconds - 2 }, (_, i) => (i % 10 === 0 ? null : -23 + (i % 7))), f0 },
  };
  return { version: 1, files: [file], failures: [] };
}

async function readAll(app: AppContext, target: Job, window: { start_s?: number; end_s?: number } = {}): Promise<VisualPage[]> {
  const pages: VisualPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await readVisualPage(app, target, { ...window, cursor });
    expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(VISUAL_PAGE_BYTES);
    pages.push(page);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && pages.length < 100);
  return pages;
}

const rowsOf = (pages: VisualPage[], track: string) => pages.flatMap((page) => page.tracks[track] ?? []);

describe("get_visual_data pages", () => {
  it("hands out an hour of local segments, loudness and 50 ms F0 in pages within the size, each row once, in time order", async () => {
    const report = hourOfLocal();
    const app = appWith(toIndex(report), { "report.json": JSON.stringify(report) });
    const pages = await readAll(app, job("local", "acoustic"));
    expect(pages.length).toBeGreaterThan(2);
    expect(pages[0]!.meta).toBeDefined();
    expect(pages.slice(1).every((page) => page.meta === undefined)).toBe(true);
    const file = report.files[0]!;
    expect(rowsOf(pages, "segment").map((row) => [row[1], row[2]])).toEqual(file.segments.map((segment) => [segment.start, segment.end]));
    expect(rowsOf(pages, "f0").map((row) => row[1])).toEqual(file.timelines.f0.map(([time]) => time));
    expect(rowsOf(pages, "loudness").map((row) => row[2])).toEqual(file.timelines.shortTermLufsPerSecond);
    const times = pages.flatMap((page) => Object.values(page.tracks).flat().map((row) => row[1] as number));
    expect(times.length).toBe(pages[0]!.rows_total);
  });

  it("places a long file's coarser loudness values at their own step (3 s, then every 4 s)", async () => {
    const report = hourOfLocal();
    const file = report.files[0]!;
    file.timelines.shortTermLufsPerSecond = [-20, -21, null, -23];
    file.timelines.shortTermLufsStepSeconds = 4;
    const app = appWith(toIndex(report), { "report.json": JSON.stringify(report) });
    const loudness = rowsOf(await readAll(app, job("local", "acoustic"), { end_s: 30 }), "loudness");
    expect(loudness.map((row) => [row[1], row[2]])).toEqual([
      [3, -20],
      [7, -21],
      [11, null],
      [15, -23],
    ]);
  });

  it("narrows to a window and refuses a cursor it did not hand out", async () => {
    const report = hourOfLocal();
    const app = appWith(toIndex(report), { "report.json": JSON.stringify(report) });
    const pages = await readAll(app, job("local", "acoustic"), { start_s: 600, end_s: 660 });
    expect(pages).toHaveLength(1);
    const segments = rowsOf(pages, "segment");
    expect(segments.length).toBe(report.files[0]!.segments.filter((segment) => segment.end >= 600 && segment.start <= 660).length);
    expect(rowsOf(pages, "f0").every((row) => (row[1] as number) >= 600 && (row[1] as number) <= 660)).toBe(true);
    await expect(readVisualPage(app, job("local", "acoustic"), { cursor: "v999999999" })).rejects.toThrow(/cursor/);
    await expect(readVisualPage(app, job("local", "acoustic"), { cursor: "nonsense" })).rejects.toThrow(/cursor/);
  });

  it("hands out every diarization turn once with talk time per speaker", async () => {
    const segments = Array.from({ length: 20_000 }, (_, i) => ({ speaker: `SPEAKER_0${i % 3}`, start: i * 1.5, end: i * 1.5 + 1.2, confidence: 80 }));
    const index: PyannoteIndex = { version: 1, task: "diarize", segments };
    const app = appWith(index);
    const pages = await readAll(app, job("pyannote", "diarize"));
    expect(pages.length).toBeGreaterThan(1);
    expect(rowsOf(pages, "turn").map((row) => [row[0], row[1], row[2]])).toEqual(segments.map((segment) => [segment.speaker, segment.start, segment.end]));
    const talk = pages[0]!.meta!.speakers as Array<{ speaker: string; seconds: number; turns: number }>;
    expect(talk.map((entry) => entry.turns).reduce((a, b) => a + b, 0)).toBe(segments.length);
    expect(talk[0]!.seconds).toBeCloseTo(segments.filter((segment) => segment.speaker === talk[0]!.speaker).length * 1.2, 1);
  });

  it("refuses a job that has not finished", async () => {
    const app = appWith({});
    await expect(readVisualPage(app, { ...job("local", "acoustic"), status: "running", resultState: "none" } as Job, {})).rejects.toThrow(/still running/);
  });
});

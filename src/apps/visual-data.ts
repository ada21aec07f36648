// What the results view draws, read from a job's stored index and parts and handed out in pages
// (≤ VISUAL_PAGE_BYTES of JSON each), so an hour of contours reaches the view without ever
// passing through the model's context. Pure over the store: no vendor is called.

import type { AppContext } from "../context.js";
import { UserInputError } from "../errors.js";
import type { Job } from "../jobs/job.js";
import type { FileReport, LocalIndex, LocalReport } from "../providers/local/local-report.js";
import { overlapSeconds, type PyannoteIndex } from "../providers/pyannote/pyannote-condense.js";
import { assertResultsReady } from "../tools/predictions.js";
import { hamsaSource, humeSource, provenanceSource, type SourceRow } from "./visual-sources.js";

/** Largest JSON page get_visual_data returns (hosts relay it through postMessage). */
export const VISUAL_PAGE_BYTES = 256 * 1024;

/** Which drawing the view makes. "summary" is the fallback for results without a drawn view yet. */
export type VisualKind = "acoustics" | "speakers" | "emotions" | "transcript" | "provenance" | "summary";

/** One row of a track; rows of every track are merged in time order for paging. */
type TimedRow = SourceRow;

interface VisualSource {
  kind: VisualKind;
  durationSeconds: number | null;
  /** Sent on the first page only. */
  meta: Record<string, unknown>;
  /** Names of each track's row fields, so the view and a reader know what the numbers are. */
  columns: Record<string, string[]>;
  rows: TimedRow[];
}

export interface VisualPage {
  job_id: string;
  provider: string;
  task: string;
  kind: VisualKind;
  duration_s: number | null;
  meta?: Record<string, unknown>;
  columns?: Record<string, string[]>;
  tracks: Record<string, unknown[][]>;
  offset: number;
  rows_total: number;
  next_cursor: string | null;
}

export interface VisualQuery {
  cursor?: string;
  start_s?: number;
  end_s?: number;
  /** Page size for tests; defaults to VISUAL_PAGE_BYTES. */
  pageBytes?: number;
}

export async function readVisualPage(app: AppContext, job: Job, query: VisualQuery): Promise<VisualPage> {
  assertResultsReady(job);
  const stored = await app.store.getResultIndex(job.id);
  if (!stored) throw new UserInputError(`job ${job.id} has no stored results; start the job again`);
  const source = await buildSource(app, job, stored.index);
  const inWindow = source.rows.filter((row) => {
    if (row.timed === false) return true;
    const end = row.end ?? row.time;
    return (query.start_s === undefined || end >= query.start_s) && (query.end_s === undefined || row.time <= query.end_s);
  });
  const offset = parseCursor(query.cursor, inWindow.length);
  const budget = query.pageBytes ?? VISUAL_PAGE_BYTES;
  const first = offset === 0;
  const page: VisualPage = {
    job_id: job.id,
    provider: job.provider,
    task: job.task,
    kind: source.kind,
    duration_s: source.durationSeconds,
    ...(first ? { meta: source.meta, columns: source.columns } : {}),
    tracks: {},
    offset,
    rows_total: inWindow.length,
    next_cursor: null,
  };
  // Room for the envelope (and a cursor) first, then rows until the budget is spent.
  let used = Buffer.byteLength(JSON.stringify(page)) + 64;
  let position = offset;
  for (; position < inWindow.length; position++) {
    const { track, row } = inWindow[position]!;
    const cost = Buffer.byteLength(JSON.stringify(row)) + 1 + (page.tracks[track] ? 0 : track.length + 6);
    if (used + cost > budget && position > offset) break;
    (page.tracks[track] ??= []).push(row);
    used += cost;
  }
  page.next_cursor = position < inWindow.length ? `v${position}` : null;
  return page;
}

function parseCursor(cursor: string | undefined, total: number): number {
  if (cursor === undefined) return 0;
  const match = /^v(\d{1,9})$/.exec(cursor);
  const offset = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(offset) || offset > total) {
    throw new UserInputError(`cursor "${cursor.slice(0, 40)}" is not one get_visual_data returned for these arguments; call again without cursor`);
  }
  return offset;
}

async function buildSource(app: AppContext, job: Job, index: unknown): Promise<VisualSource> {
  if (job.provider === "local") return localSource(app, job, index as LocalIndex);
  if (job.provider === "pyannote" && job.task !== "voiceprint") return speakerSource(index as PyannoteIndex);
  if (job.provider === "hume") return { kind: "emotions", ...humeSource(index) };
  if (job.provider === "hamsa") return { kind: "transcript", ...hamsaSource(index) };
  if (job.provider === "humanstandard") return { kind: "provenance", ...provenanceSource(index) };
  return summarySource(app, job, index);
}

const round = (value: number | null | undefined, digits: number): number | null =>
  value === null || value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

async function localSource(app: AppContext, job: Job, index: LocalIndex): Promise<VisualSource> {
  // The per-second loudness and 50 ms F0 contours live only in the stored report.
  const part = await app.store.getResultPart(job.id, "report.json");
  const report = part ? (JSON.parse(part.data.toString("utf8")) as LocalReport) : undefined;
  const rows: TimedRow[] = [];
  index.files.forEach((file, position) => {
    for (const segment of file.segments) {
      rows.push({
        track: "segment",
        time: segment.start,
        end: segment.end,
        row: [position, segment.start, segment.end, round(segment.levelDbfs, 1), round(segment.f0MedianHz, 1), round(segment.f0P10Hz, 1), round(segment.f0P90Hz, 1), round(segment.voicedRatio, 2), segment.syllables],
      });
    }
    const timelines: FileReport["timelines"] | undefined = report?.files[position]?.timelines;
    // Short-term loudness: a 3 s window ending at 3 s, 4 s, 5 s… (every few seconds for files over 10 h).
    const step = timelines?.shortTermLufsStepSeconds ?? 1;
    timelines?.shortTermLufsPerSecond.forEach((lufs, index) => {
      const time = index * step + 3;
      rows.push({ track: "loudness", time, row: [position, time, round(lufs, 1)] });
    });
    for (const [time, hz] of timelines?.f0 ?? []) rows.push({ track: "f0", time, row: [position, round(time, 2), round(hz, 1)] });
  });
  rows.sort((a, b) => a.time - b.time);
  return {
    kind: "acoustics",
    durationSeconds: Math.max(0, ...index.files.map((file) => file.durationSeconds)),
    meta: {
      files: index.files.map(({ segments: _segments, ...summary }) => summary),
      failures: index.failures,
    },
    columns: {
      segment: ["file", "start_s", "end_s", "level_dbfs", "f0_median_hz", "f0_p10_hz", "f0_p90_hz", "voiced_ratio", "syllables"],
      loudness: ["file", "time_s", "short_term_lufs"],
      f0: ["file", "time_s", "f0_hz (0 = unvoiced)"],
    },
    rows,
  };
}

function speakerSource(index: PyannoteIndex): VisualSource {
  const rows: TimedRow[] = [];
  for (const segment of index.segments) {
    rows.push({ track: "turn", time: segment.start, end: segment.end, row: [segment.speaker, round(segment.start, 3), round(segment.end, 3), round(segment.confidence, 0)] });
  }
  for (const segment of index.named ?? []) {
    rows.push({ track: "named", time: segment.start, end: segment.end, row: [segment.speaker, round(segment.start, 3), round(segment.end, 3), segment.diarizationSpeaker ?? null] });
  }
  for (const turn of index.transcript ?? []) {
    rows.push({ track: "words", time: turn.start, end: turn.end, row: [turn.speaker, round(turn.start, 3), round(turn.end, 3), turn.text] });
  }
  rows.sort((a, b) => a.time - b.time);
  const talk = new Map<string, { seconds: number; turns: number }>();
  for (const segment of index.named ?? index.segments) {
    const entry = talk.get(segment.speaker) ?? { seconds: 0, turns: 0 };
    entry.seconds += Math.max(0, segment.end - segment.start);
    entry.turns += 1;
    talk.set(segment.speaker, entry);
  }
  const end = Math.max(0, ...index.segments.map((segment) => segment.end), ...(index.named ?? []).map((segment) => segment.end));
  return {
    kind: "speakers",
    durationSeconds: end,
    meta: {
      task: index.task,
      speakers: [...talk.entries()]
        .map(([speaker, entry]) => ({ speaker, seconds: round(entry.seconds, 2), turns: entry.turns }))
        .sort((a, b) => (b.seconds ?? 0) - (a.seconds ?? 0)),
      overlap_s: round(overlapSeconds(index.segments), 2),
      ...(index.matches ? { matches: index.matches } : {}),
      ...(index.warning ? { warning: index.warning } : {}),
    },
    columns: {
      turn: ["speaker", "start_s", "end_s", "confidence"],
      named: ["name", "start_s", "end_s", "diarized_speaker"],
      words: ["speaker", "start_s", "end_s", "text"],
    },
    rows,
  };
}

function summarySource(app: AppContext, job: Job, index: unknown): VisualSource {
  const view = app.providers.require(job.provider).condense({ job, index, query: { top_k: 5 } });
  return { kind: "summary", durationSeconds: null, meta: { about: view.about, summary: view.summary, figures: view.figures ?? {} }, columns: {}, rows: [] };
}

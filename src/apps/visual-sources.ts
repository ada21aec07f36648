// What the results view draws for Hume (emotion arcs), Hamsa (transcript) and HumanStandard
// (provenance), read from each provider's stored index. Rows carry a `time` for paging order;
// rows without one (untimed sentences, ranked tracks) use their position and are not windowed.

import type { HamsaTranscriptIndex } from "../providers/hamsa/hamsa-condense.js";
import type { ProvenanceIndex } from "../providers/humanstandard/humanstandard-results-index.js";
import { asHumeIndex, decodeFloat64, decodeMatrix, type EncodedMatrix, type HumeIndex } from "../providers/hume/hume-index.js";

export interface SourceRow {
  track: string;
  time: number;
  /** Where a row with a duration ends (a window keeps rows that reach into it). */
  end?: number;
  row: unknown[];
  /** False for rows whose `time` is a position, not seconds. */
  timed?: boolean;
}

export interface SourceParts {
  durationSeconds: number | null;
  meta: Record<string, unknown>;
  columns: Record<string, string[]>;
  rows: SourceRow[];
}

const round = (value: number | null | undefined, digits: number): number | null =>
  value === null || value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

/** Expressions drawn per file and model: the ones with the highest mean score. */
export const TOP_EXPRESSIONS = 5;
/** Face frames without a job-level frame step are drawn this long. */
const DEFAULT_FRAME_S = 1 / 3;

interface Series {
  file: number;
  label: string;
  model: string;
  names: string[];
  peaks: Array<{ name: string; start: number; end: number; score: number }>;
}

export function humeSource(value: unknown): SourceParts {
  const index: HumeIndex = asHumeIndex(value);
  const rows: SourceRow[] = [];
  const series: Series[] = [];
  let duration = 0;
  index.files.forEach((file, position) => {
    const groups: Array<{ model: string; begin: Float64Array; end: Float64Array; emotions: EncodedMatrix }> = [];
    for (const group of file.models.prosody ?? []) groups.push({ model: "prosody", begin: decodeFloat64(group.begin), end: decodeFloat64(group.end), emotions: group.emotions });
    for (const group of file.models.burst ?? []) groups.push({ model: "burst", begin: decodeFloat64(group.begin), end: decodeFloat64(group.end), emotions: group.emotions });
    for (const group of file.models.language ?? []) groups.push({ model: "language", begin: decodeFloat64(group.begin), end: decodeFloat64(group.end), emotions: group.emotions });
    for (const group of file.models.face ?? []) {
      const time = decodeFloat64(group.time);
      groups.push({ model: "face", begin: time, end: time.map((t) => t + (index.frameStepS ?? DEFAULT_FRAME_S)), emotions: group.emotions });
    }
    for (const model of ["prosody", "burst", "language", "face"]) {
      const ofModel = groups.filter((group) => group.model === model);
      if (ofModel.length === 0) continue;
      // Top expressions by mean over every timed row of this file's model.
      const sums = new Map<string, { sum: number; count: number }>();
      const decoded = ofModel.map((group) => ({ ...group, matrix: decodeMatrix(group.emotions) }));
      for (const { matrix, begin } of decoded) {
        for (let row = 0; row < matrix.rows; row++) {
          if (!Number.isFinite(begin[row]!)) continue;
          matrix.names.forEach((name, column) => {
            const score = matrix.data[row * matrix.width + column]!;
            if (Number.isNaN(score)) return;
            const entry = sums.get(name) ?? { sum: 0, count: 0 };
            entry.sum += score;
            entry.count += 1;
            sums.set(name, entry);
          });
        }
      }
      const names = [...sums.entries()]
        .sort((a, b) => b[1].sum / b[1].count - a[1].sum / a[1].count || a[0].localeCompare(b[0]))
        .slice(0, TOP_EXPRESSIONS)
        .map(([name]) => name);
      if (names.length === 0) continue;
      const peaks = names.map((name) => ({ name, start: 0, end: 0, score: -Infinity }));
      decoded.forEach(({ matrix, begin, end }, groupNumber) => {
        const columns = names.map((name) => matrix.names.indexOf(name));
        for (let row = 0; row < matrix.rows; row++) {
          const start = begin[row]!;
          const stop = end[row]!;
          if (!Number.isFinite(start) || !Number.isFinite(stop)) continue;
          const scores = columns.map((column) => (column < 0 ? null : round(matrix.data[row * matrix.width + column]!, 3)));
          scores.forEach((score, k) => {
            if (score !== null && score > peaks[k]!.score) peaks[k] = { name: names[k]!, start, end: stop, score };
          });
          duration = Math.max(duration, stop);
          rows.push({ track: "arc", time: start, end: stop, row: [series.length, groupNumber, round(start, 3), round(stop, 3), ...scores] });
        }
      });
      series.push({ file: position, label: file.label, model, names, peaks: peaks.filter((peak) => peak.score > -Infinity) });
    }
  });
  rows.sort((a, b) => a.time - b.time);
  return {
    durationSeconds: duration,
    meta: { series, files: index.files.map((file) => ({ label: file.label, error: file.error ?? null })) },
    columns: { arc: ["series", "group", "start_s", "end_s", `score of each of the series' names (top ${TOP_EXPRESSIONS} by mean)`] },
    rows,
  };
}

export function hamsaSource(value: unknown): SourceParts {
  const index = value as HamsaTranscriptIndex;
  const rows: SourceRow[] = index.segments.map((segment, position) => {
    const timed = segment.start !== undefined;
    return {
      track: "utterance",
      time: timed ? segment.start! : position,
      ...(timed ? { end: segment.end ?? segment.start! } : {}),
      timed,
      row: [round(segment.start, 3), round(segment.end ?? segment.start, 3), segment.speaker ?? null, segment.text],
    };
  });
  const end = index.segments.reduce((latest, segment) => Math.max(latest, segment.end ?? segment.start ?? 0), 0);
  return {
    durationSeconds: index.durationSeconds ?? (end > 0 ? end : null),
    meta: { language: index.language ?? null, words: index.wordCount, shape: index.shape, timed: rows.some((row) => row.timed) },
    columns: { utterance: ["start_s", "end_s", "speaker", "text"] },
    rows,
  };
}

/** The most suspicious tracks handed to the view (the histograms cover every track). */
export const TOP_TRACKS = 200;

export function provenanceSource(value: unknown): SourceParts {
  const index = value as ProvenanceIndex;
  const bins = Array.from({ length: 10 }, () => 0);
  let unscored = 0;
  for (const truth of index.tracks.truth) {
    if (truth === null) unscored += 1;
    else bins[Math.min(9, Math.floor(truth * 10))]! += 1;
  }
  const rows: SourceRow[] = [];
  const shown = Math.min(TOP_TRACKS, index.tracks.id.length);
  for (let position = 0; position < shown; position++) {
    const [title, artist] = index.tracks.meta[String(position)] ?? [null, null];
    const origin = index.tracks.origin[position] ?? -1;
    rows.push({
      track: "track",
      time: position,
      timed: false,
      row: [
        position + 1,
        index.tracks.id[position],
        index.tracks.truth[position] ?? null,
        { h: "human", s: "suspicious", u: "unknown" }[index.tracks.verdict[position] ?? "u"] ?? "unknown",
        origin >= 0 ? (index.originNames[origin] ?? null) : null,
        index.tracks.originConfidence[position] ?? null,
        index.tracks.reliability[position] ?? null,
        title,
        artist,
      ],
    });
  }
  return {
    durationSeconds: null,
    meta: {
      records: index.records,
      verdicts: index.verdicts,
      origins: index.origins,
      truth_histogram: bins,
      unscored,
      low_reliability: index.lowReliability,
      failed: index.failed.id.length,
      tracks_total: index.tracks.id.length,
    },
    columns: { track: ["rank", "item_id", "truth_score", "verdict", "origin", "origin_confidence", "reliability", "title", "artist"] },
    rows,
  };
}

// Face model: per face group, duration-weighted top expressions with their peaks, FACS and
// description highlights, frames in time order (timeline) or as an arc of time buckets.

import { formatCount, formatScore, formatSpan, formatTime } from "../../condense/format.js";
import type { DetailSection } from "../../condense/view.js";
import {
  arcBuckets,
  bucketLabel,
  columnPeak,
  formatScores,
  nameRanks,
  rankColumns,
  rowTop,
  selectRows,
  round3,
  weightedColumnMeans,
} from "./hume-condense-stats.js";
import { heading, keepGroup, type ModelContext, type ModelView } from "./hume-condense-model.js";
import { decodeFloat64, decodeMatrix, type FaceGroupIndex } from "./hume-index.js";

/** Hume's default fps_pred is 3. */
const DEFAULT_FRAME_STEP_S = 1 / 3;

/** The typical gap between frames: the median positive gap, else the default step. */
export function typicalFrameStep(times: ArrayLike<number>): number {
  const gaps: number[] = [];
  for (let index = 1; index < times.length; index++) {
    const gap = times[index]! - times[index - 1]!;
    if (gap > 0) gaps.push(gap);
  }
  if (gaps.length === 0) return DEFAULT_FRAME_STEP_S;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

/**
 * Each frame stands for the time until the next frame, capped at one frame step so a face
 * that leaves the picture for a minute does not give its last frame a minute of weight.
 */
export function faceFrameWeights(times: ArrayLike<number>, step: number): Float64Array {
  const weights = new Float64Array(times.length);
  for (let index = 0; index < times.length; index++) {
    const next = index + 1 < times.length ? times[index + 1]! - times[index]! : step;
    weights[index] = next === next ? Math.max(0, Math.min(next, step)) : step;
  }
  return weights;
}

export function condenseFace(groups: FaceGroupIndex[], context: ModelContext): ModelView {
  const view: ModelView = { summary: [], sections: [], figures: {}, notes: [] };
  const kept = groups.filter((group) => keepGroup(context, group.id));
  const groupFigures: Array<Record<string, unknown>> = [];
  const groupLines: string[] = [];
  let totalFrames = 0;
  let endS = 0;
  let hasFacs = false;

  for (const group of kept) {
    const times = decodeFloat64(group.time);
    const emotions = decodeMatrix(group.emotions);
    const step = context.frameStepS ?? typicalFrameStep(times);
    const weights = faceFrameWeights(times, step);
    const rows = selectRows(group.count, times, times, context.from, context.to);
    totalFrames += rows.length;
    const label = group.id === "unknown" ? "face" : `face ${group.id}`;
    if (rows.length === 0) {
      groupLines.push(`  ${label}: no frames in this window`);
      continue;
    }
    const first = times[rows[0]!]!;
    const last = times[rows[rows.length - 1]!]!;
    endS = Math.max(endS, last + step);
    const top = rankColumns(emotions.names, weightedColumnMeans(emotions, rows, weights), context.topK);
    const withPeaks = top.map((entry) => {
      const peak = columnPeak(emotions, rows, entry.column);
      return { ...entry, peakScore: peak?.score ?? entry.score, peakTime: peak ? times[peak.row]! : first };
    });
    groupLines.push(
      `  ${label} (${formatCount(rows.length)} frames, ${formatSpan(first, last)}): ` +
        withPeaks
          .map((entry) => `${entry.name} ${formatScore(entry.score)} (peak ${formatScore(entry.peakScore)} at ${formatTime(entry.peakTime)})`)
          .join(", "),
    );
    const highlights: Array<[string, FaceGroupIndex["facs"]]> = [
      ["FACS", group.facs],
      ["descriptions", group.descriptions],
    ];
    for (const [name, encoded] of highlights) {
      if (!encoded) continue;
      if (name === "FACS") hasFacs = true;
      const matrix = decodeMatrix(encoded);
      const best = rankColumns(matrix.names, weightedColumnMeans(matrix, rows, weights), context.topK);
      groupLines.push(`    ${name}: ${formatScores(best)}`);
    }
    groupFigures.push({
      id: group.id,
      frames: rows.length,
      top: withPeaks.map((entry) => ({
        name: entry.name,
        score: round3(entry.score),
        peak: round3(entry.peakScore),
        peak_s: Math.round(entry.peakTime * 10) / 10,
      })),
    });

    if (context.view === "timeline") {
      const ranks = nameRanks(emotions.names);
      const section: DetailSection = { heading: heading(context, `${label} — frames`), rows: [] };
      for (const row of rows) section.rows.push(`${formatTime(times[row]!)} ${formatScores(rowTop(emotions, row, context.topK, ranks))}`);
      view.sections.push(section);
    } else if (context.view === "arc") {
      const buckets = arcBuckets(context.from ?? first, context.to ?? last + step);
      const section: DetailSection = {
        heading: heading(context, `${label} — arc, top ${Math.min(3, context.topK)} per ${formatTime(buckets[0]!.end - buckets[0]!.start)}`),
        rows: [],
      };
      for (const bucket of buckets) {
        const inBucket = rows.filter((row) => times[row]! >= bucket.start && times[row]! < bucket.end);
        if (inBucket.length === 0) {
          section.rows.push(`${bucketLabel(bucket)}: no face`);
          continue;
        }
        const best = rankColumns(emotions.names, weightedColumnMeans(emotions, inBucket, weights), Math.min(3, context.topK));
        section.rows.push(`${bucketLabel(bucket)}: ${formatScores(best)} (${formatCount(inBucket.length)} frames)`);
      }
      view.sections.push(section);
    }
  }

  const groupCount = kept.length;
  view.summary.push(
    `face: ${groupCount} face group${groupCount === 1 ? "" : "s"}, ${formatCount(totalFrames)} frames; top expressions by duration-weighted mean (peak and when)`,
    ...groupLines,
  );
  if (hasFacs) view.notes.push("FACS scores are action-unit intensities from Hume's face model, averaged like expressions");
  view.figures = { groups: groupCount, frames: totalFrames, by_group: groupFigures.slice(0, 10) };
  view.endS = endS;
  return view;
}

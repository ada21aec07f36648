// Prosody and vocal bursts: time segments weighted by their length. Overall and per-speaker
// top expressions, the emotional arc in time buckets, and every utterance/burst in time order.

import { formatCount, formatDuration, formatPercent, formatSpan, formatTime, sanitizeVendorText } from "../../condense/format.js";
import type { DetailSection } from "../../condense/view.js";
import {
  arcBuckets,
  bucketLabel,
  formatScores,
  nameRanks,
  NamedMeanAccumulator,
  rowTop,
  selectRows,
  toFigures,
  type NamedScore,
} from "./hume-condense-stats.js";
import { heading, keepGroup, type ModelContext, type ModelView } from "./hume-condense-model.js";
import { decodeFloat64, decodeMatrix, type ScoreMatrix, type SegmentGroupIndex } from "./hume-index.js";

const ROW_TEXT_CHARS = 80;

interface DecodedSegments {
  id: string;
  begin: Float64Array;
  end: Float64Array;
  /** Segment length in seconds: each segment's weight. */
  length: Float64Array;
  texts?: string[];
  emotions: ScoreMatrix;
  descriptions?: ScoreMatrix;
  rows: Int32Array;
}

function decodeGroup(group: SegmentGroupIndex, context: ModelContext): DecodedSegments {
  const begin = decodeFloat64(group.begin);
  const end = decodeFloat64(group.end);
  const length = new Float64Array(group.count);
  for (let row = 0; row < group.count; row++) length[row] = Math.max(0, end[row]! - begin[row]!);
  return {
    id: group.id,
    begin,
    end,
    length,
    texts: group.texts,
    emotions: decodeMatrix(group.emotions),
    descriptions: group.descriptions ? decodeMatrix(group.descriptions) : undefined,
    rows: selectRows(group.count, begin, end, context.from, context.to),
  };
}

function totalLength(segments: DecodedSegments): number {
  let total = 0;
  for (const row of segments.rows) total += segments.length[row]!;
  return total;
}

export function condenseSegments(model: "prosody" | "burst", groups: SegmentGroupIndex[], context: ModelContext): ModelView {
  const view: ModelView = { summary: [], sections: [], figures: {}, notes: [] };
  const unit = model === "prosody" ? "utterance" : "burst";
  const decoded = groups.filter((group) => keepGroup(context, group.id)).map((group) => decodeGroup(group, context));
  const identified = decoded.some((group) => group.id !== "unknown");
  const count = decoded.reduce((sum, group) => sum + group.rows.length, 0);
  const speech = decoded.reduce((sum, group) => sum + totalLength(group), 0);

  // Zero-length segments (a burst reported at one instant) would carry no weight; when every
  // segment is like that, count them equally rather than report nothing.
  const equalWeights = speech === 0 && count > 0;
  const weightsOf = (group: DecodedSegments): ArrayLike<number> => (equalWeights ? new Float64Array(group.length.length).fill(1) : group.length);

  const overall = new NamedMeanAccumulator();
  for (const group of decoded) overall.add(group.emotions, group.rows, weightsOf(group));
  const top = overall.top(context.topK);
  view.summary.push(
    `${model}: ${formatCount(count)} ${unit}${count === 1 ? "" : "s"}, ${formatDuration(speech)} in total; top ${equalWeights ? "(equal weights)" : "(length-weighted)"}: ${formatScores(top)}`,
  );
  if (equalWeights) view.notes.push(`${model}: every ${unit} has zero length, so each counts equally`);

  const speakerFigures: Array<Record<string, unknown>> = [];
  if (identified) {
    for (const group of decoded) {
      const accumulator = new NamedMeanAccumulator();
      accumulator.add(group.emotions, group.rows, weightsOf(group));
      const share = speech > 0 ? totalLength(group) / speech : 0;
      const best = accumulator.top(context.topK);
      view.summary.push(
        `  speaker ${group.id}: ${formatCount(group.rows.length)} ${unit}s, ${formatPercent(share)} of the time; top: ${formatScores(best)}`,
      );
      speakerFigures.push({ id: group.id, count: group.rows.length, share: Math.round(share * 1000) / 1000, top: toFigures(best) });
    }
  }
  if (model === "burst") {
    const descriptions = new NamedMeanAccumulator();
    for (const group of decoded) if (group.descriptions) descriptions.add(group.descriptions, group.rows, weightsOf(group));
    if (!descriptions.empty) view.summary.push(`  burst descriptions: ${formatScores(descriptions.top(context.topK))}`);
  }

  let endS = 0;
  for (const group of decoded) for (const row of group.rows) endS = Math.max(endS, group.end[row]!);
  view.endS = endS;

  const wantsRows = context.view === "timeline" || (context.view === "summary" && model === "burst");
  if (wantsRows && count > 0) view.sections.push(timelineSection(model, decoded, identified, context));
  if (context.view === "arc" && count > 0) view.sections.push(arcSection(model, decoded, context, equalWeights));

  view.figures = {
    [`${unit}s`]: count,
    seconds: Math.round(speech * 10) / 10,
    top: toFigures(top),
    ...(speakerFigures.length > 0 ? { speakers: speakerFigures } : {}),
  };
  return view;
}

function timelineSection(model: "prosody" | "burst", decoded: DecodedSegments[], identified: boolean, context: ModelContext): DetailSection {
  const entries: Array<{ group: DecodedSegments; row: number }> = [];
  for (const group of decoded) for (const row of group.rows) entries.push({ group, row });
  entries.sort((a, b) => a.group.begin[a.row]! - b.group.begin[b.row]! || a.group.id.localeCompare(b.group.id));
  const ranks = new Map(decoded.map((group) => [group, nameRanks(group.emotions.names)]));
  const descriptionRanks = new Map(decoded.map((group) => [group, group.descriptions ? nameRanks(group.descriptions.names) : undefined]));
  const rows = entries.map(({ group, row }) => {
    const parts = [formatSpan(group.begin[row]!, group.end[row]!)];
    if (identified) parts.push(group.id);
    const text = group.texts?.[row];
    if (text) parts.push(`"${sanitizeVendorText(text, ROW_TEXT_CHARS)}"`);
    parts.push(formatScores(rowTop(group.emotions, row, context.topK, ranks.get(group)!)));
    let line = parts.join(" ");
    const descriptionRank = descriptionRanks.get(group);
    if (group.descriptions && descriptionRank) {
      line += ` (${formatScores(rowTop(group.descriptions, row, 2, descriptionRank))})`;
    }
    return line;
  });
  return { heading: heading(context, model === "prosody" ? "prosody — utterances" : "vocal bursts"), rows };
}

function arcSection(model: "prosody" | "burst", decoded: DecodedSegments[], context: ModelContext, equalWeights: boolean): DetailSection {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const group of decoded) {
    for (const row of group.rows) {
      first = Math.min(first, group.begin[row]!);
      last = Math.max(last, group.end[row]!);
    }
  }
  const buckets = arcBuckets(context.from ?? first, context.to ?? last);
  const k = Math.min(3, context.topK);
  const rows = buckets.map((bucket) => {
    const accumulator = new NamedMeanAccumulator();
    let segments = 0;
    for (const group of decoded) {
      // Each segment counts for the part of it inside the bucket.
      const inBucket = selectRows(group.begin.length, group.begin, group.end, bucket.start, bucket.end);
      const weights = new Float64Array(group.begin.length);
      let used = 0;
      for (const row of inBucket) {
        const overlap = Math.min(bucket.end, group.end[row]!) - Math.max(bucket.start, group.begin[row]!);
        weights[row] = equalWeights ? 1 : Math.max(0, overlap);
        if (weights[row]! > 0) used++;
      }
      segments += used;
      accumulator.add(group.emotions, inBucket, weights);
    }
    const best: NamedScore[] = accumulator.top(k);
    return segments === 0 ? `${bucketLabel(bucket)}: silence` : `${bucketLabel(bucket)}: ${formatScores(best)} (${segments} ${model === "prosody" ? "utterances" : "bursts"})`;
  });
  return {
    heading: heading(context, `${model} — arc, top ${k} per ${formatTime(buckets[0]!.end - buckets[0]!.start)}`),
    rows,
  };
}

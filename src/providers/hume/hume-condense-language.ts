// Language (per word/sentence emotions, sentiment 1–9, toxicity flags), named entities, and
// facemesh. Language units count equally: Hume gives no duration for text inputs.

import { formatCount, formatScore, formatSpan, formatTime, sanitizeVendorText } from "../../condense/format.js";
import type { DetailSection } from "../../condense/view.js";
import {
  arcBuckets,
  bucketLabel,
  formatScores,
  mean,
  nameRanks,
  NamedMeanAccumulator,
  rowTop,
  selectRows,
  toFigures,
} from "./hume-condense-stats.js";
import { heading, keepGroup, type ModelContext, type ModelView } from "./hume-condense-model.js";
import { decodeFloat64, decodeMatrix, type FacemeshGroupIndex, type LanguageGroupIndex, type NerMention, type ScoreMatrix } from "./hume-index.js";

/** A unit is flagged when any toxicity score reaches this. */
export const TOXICITY_THRESHOLD = 0.5;
const SNIPPET_CHARS = 80;

interface DecodedLanguage {
  id: string;
  begin: Float64Array;
  end: Float64Array;
  position: Float64Array;
  texts: string[];
  emotions: ScoreMatrix;
  sentiment?: ScoreMatrix;
  toxicity?: ScoreMatrix;
  rows: Int32Array;
  ones: Float64Array;
}

/** Expected sentiment level (1–9) of one unit: Σ level·p / Σ p over the levels Hume gave. */
export function expectedSentiment(matrix: ScoreMatrix, row: number, levels: number[]): number {
  let weighted = 0;
  let total = 0;
  for (let column = 0; column < matrix.width; column++) {
    const level = levels[column]!;
    const score = matrix.data[row * matrix.width + column]!;
    if (Number.isFinite(level) && score === score) {
      weighted += level * score;
      total += score;
    }
  }
  return total > 0 ? weighted / total : Number.NaN;
}

function mostLikelyLevel(matrix: ScoreMatrix, row: number, levels: number[]): number {
  let best = Number.NaN;
  let bestScore = -1;
  for (let column = 0; column < matrix.width; column++) {
    const score = matrix.data[row * matrix.width + column]!;
    if (Number.isFinite(levels[column]!) && score > bestScore) {
      bestScore = score;
      best = levels[column]!;
    }
  }
  return best;
}

interface ToxicFlag {
  group: DecodedLanguage;
  row: number;
  kinds: Array<{ name: string; score: number }>;
}

function toxicKinds(matrix: ScoreMatrix, row: number): Array<{ name: string; score: number }> {
  const kinds: Array<{ name: string; score: number }> = [];
  for (let column = 0; column < matrix.width; column++) {
    const score = matrix.data[row * matrix.width + column]!;
    if (score >= TOXICITY_THRESHOLD) kinds.push({ name: matrix.names[column]!, score });
  }
  return kinds.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
}

/** Words alone say little, so a flagged word is shown with its neighbours. */
function snippet(group: DecodedLanguage, row: number): string {
  const text = group.texts[row] ?? "";
  if (/\s/.test(text.trim()) || text.length >= 20) return sanitizeVendorText(text, SNIPPET_CHARS);
  const from = Math.max(0, row - 4);
  const to = Math.min(group.texts.length, row + 5);
  const words = group.texts.slice(from, to).map((word, offset) => (from + offset === row ? `[${word}]` : word));
  return sanitizeVendorText(words.join(" "), SNIPPET_CHARS);
}

function where(group: DecodedLanguage, row: number): string {
  const begin = group.begin[row]!;
  if (begin === begin) return formatSpan(begin, group.end[row]!);
  const position = group.position[row]!;
  return position === position ? `char ${position}` : "?";
}

export function condenseLanguage(groups: LanguageGroupIndex[], context: ModelContext): ModelView {
  const view: ModelView = { summary: [], sections: [], figures: {}, notes: [] };
  const decoded: DecodedLanguage[] = groups
    .filter((group) => keepGroup(context, group.id))
    .map((group) => {
      const begin = decodeFloat64(group.begin);
      const end = decodeFloat64(group.end);
      return {
        id: group.id,
        begin,
        end,
        position: decodeFloat64(group.position),
        texts: group.texts,
        emotions: decodeMatrix(group.emotions),
        sentiment: group.sentiment ? decodeMatrix(group.sentiment) : undefined,
        toxicity: group.toxicity ? decodeMatrix(group.toxicity) : undefined,
        rows: selectRows(group.count, begin, end, context.from, context.to),
        ones: new Float64Array(group.count).fill(1),
      };
    });
  const count = decoded.reduce((sum, group) => sum + group.rows.length, 0);
  const timed = decoded.some((group) => group.begin.length > 0 && group.begin[0] === group.begin[0]);
  const unit = unitName(context.languageGranularity, decoded);
  const identified = decoded.some((group) => group.id !== "unknown");

  const overall = new NamedMeanAccumulator();
  for (const group of decoded) overall.add(group.emotions, group.rows, group.ones);
  const top = overall.top(context.topK);
  view.summary.push(`language: ${formatCount(count)} ${unit}s; top (mean over ${unit}s): ${formatScores(top)}`);

  // Sentiment: the mean of each unit's expected level, and how often each level was most likely.
  const expected: number[] = [];
  const histogram = new Map<number, number>();
  const flags: ToxicFlag[] = [];
  const sentimentByRow = new Map<DecodedLanguage, Float64Array>();
  for (const group of decoded) {
    if (group.sentiment) {
      const levels = group.sentiment.names.map((name) => Number.parseInt(name, 10));
      const perRow = new Float64Array(group.begin.length).fill(Number.NaN);
      for (const row of group.rows) {
        perRow[row] = expectedSentiment(group.sentiment, row, levels);
        expected.push(perRow[row]!);
        const level = mostLikelyLevel(group.sentiment, row, levels);
        if (level === level) histogram.set(level, (histogram.get(level) ?? 0) + 1);
      }
      sentimentByRow.set(group, perRow);
    }
    if (group.toxicity) {
      for (const row of group.rows) {
        const kinds = toxicKinds(group.toxicity, row);
        if (kinds.length > 0) flags.push({ group, row, kinds });
      }
    }
  }
  const sentimentMean = mean(expected);
  if (expected.length > 0) {
    const levels = [...histogram.keys()].sort((a, b) => a - b);
    view.summary.push(
      `  sentiment: mean ${sentimentMean === sentimentMean ? sentimentMean.toFixed(2) : "?"} on 1–9 (1 negative, 9 positive); most likely level: ${levels.map((level) => `${level}:${histogram.get(level)}`).join(" ")}`,
    );
  }
  const hasToxicity = decoded.some((group) => group.toxicity);
  if (hasToxicity) {
    const byKind = new Map<string, number>();
    for (const flag of flags) for (const kind of flag.kinds) byKind.set(kind.name, (byKind.get(kind.name) ?? 0) + 1);
    const kinds = [...byKind].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    view.summary.push(
      flags.length > 0
        ? `  toxicity: ${flags.length} ${unit}${flags.length === 1 ? "" : "s"} scored ≥ ${formatScore(TOXICITY_THRESHOLD)} (${kinds.map(([name, n]) => `${name} ${n}`).join(", ")})`
        : `  toxicity: nothing scored ≥ ${formatScore(TOXICITY_THRESHOLD)}`,
    );
  }
  const speakerFigures: Array<Record<string, unknown>> = [];
  if (identified) {
    for (const group of decoded) {
      const accumulator = new NamedMeanAccumulator();
      accumulator.add(group.emotions, group.rows, group.ones);
      const best = accumulator.top(context.topK);
      view.summary.push(`  speaker ${group.id}: ${formatCount(group.rows.length)} ${unit}s; top: ${formatScores(best)}`);
      speakerFigures.push({ id: group.id, count: group.rows.length, top: toFigures(best) });
    }
  }
  if (!timed && (context.from !== undefined || context.to !== undefined)) {
    view.notes.push("language: text inputs have no times, so start_s/end_s leave none of their units");
  }

  if (flags.length > 0 && context.view !== "arc") {
    flags.sort((a, b) => order(a.group, a.row) - order(b.group, b.row));
    view.sections.push({
      heading: heading(context, `language — toxicity flags (≥ ${formatScore(TOXICITY_THRESHOLD)})`),
      rows: flags.map((flag) => `${where(flag.group, flag.row)} "${snippet(flag.group, flag.row)}" — ${formatScores(flag.kinds)}`),
    });
  }
  if (context.view === "timeline" && count > 0) view.sections.push(languageTimeline(decoded, identified, sentimentByRow, context));
  if (context.view === "arc" && count > 0 && timed) view.sections.push(languageArc(decoded, sentimentByRow, context, unit));

  let endS = 0;
  for (const group of decoded) for (const row of group.rows) if (group.end[row]! > endS) endS = group.end[row]!;
  view.endS = endS;
  view.figures = {
    [`${unit}s`]: count,
    top: toFigures(top),
    ...(expected.length > 0 ? { sentiment_mean: Math.round(sentimentMean * 100) / 100 } : {}),
    ...(hasToxicity ? { toxicity_flags: flags.length } : {}),
    ...(speakerFigures.length > 0 ? { speakers: speakerFigures } : {}),
  };
  return view;
}

const UNIT_NAMES: Record<string, string> = { word: "word", sentence: "sentence", utterance: "utterance", conversational_turn: "turn" };

/** What one language prediction is: from the job's granularity, else guessed from the texts. */
function unitName(granularity: string | undefined, decoded: DecodedLanguage[]): string {
  const named = granularity ? UNIT_NAMES[granularity] : undefined;
  if (named) return named;
  const sample = decoded.flatMap((group) => group.texts.slice(0, 50));
  return sample.length > 0 && sample.every((text) => !/\s/.test(text.trim())) ? "word" : "unit";
}

/** Reading order: by time when timed, else by character position. */
function order(group: DecodedLanguage, row: number): number {
  const begin = group.begin[row]!;
  return begin === begin ? begin : group.position[row]!;
}

function languageTimeline(
  decoded: DecodedLanguage[],
  identified: boolean,
  sentimentByRow: Map<DecodedLanguage, Float64Array>,
  context: ModelContext,
): DetailSection {
  const entries: Array<{ group: DecodedLanguage; row: number }> = [];
  for (const group of decoded) for (const row of group.rows) entries.push({ group, row });
  entries.sort((a, b) => order(a.group, a.row) - order(b.group, b.row) || a.group.id.localeCompare(b.group.id));
  const ranks = new Map(decoded.map((group) => [group, nameRanks(group.emotions.names)]));
  const rows = entries.map(({ group, row }) => {
    const parts = [where(group, row)];
    if (identified) parts.push(group.id);
    parts.push(`"${sanitizeVendorText(group.texts[row] ?? "", SNIPPET_CHARS)}"`);
    parts.push(formatScores(rowTop(group.emotions, row, context.topK, ranks.get(group)!)));
    const sentiment = sentimentByRow.get(group)?.[row];
    if (sentiment !== undefined && sentiment === sentiment) parts.push(`· sentiment ${sentiment.toFixed(1)}`);
    const toxic = group.toxicity ? toxicKinds(group.toxicity, row) : [];
    if (toxic.length > 0) parts.push(`· ${formatScores(toxic)}`);
    return parts.join(" ");
  });
  return { heading: heading(context, "language — in reading order"), rows };
}

function languageArc(
  decoded: DecodedLanguage[],
  sentimentByRow: Map<DecodedLanguage, Float64Array>,
  context: ModelContext,
  unit: string,
): DetailSection {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const group of decoded) {
    for (const row of group.rows) {
      if (group.begin[row]! < first) first = group.begin[row]!;
      if (group.end[row]! > last) last = group.end[row]!;
    }
  }
  const buckets = arcBuckets(context.from ?? first, context.to ?? last);
  const k = Math.min(3, context.topK);
  const rows = buckets.map((bucket) => {
    const accumulator = new NamedMeanAccumulator();
    const sentiments: number[] = [];
    let units = 0;
    for (const group of decoded) {
      const inBucket = group.rows.filter((row) => group.begin[row]! >= bucket.start && group.begin[row]! < bucket.end);
      units += inBucket.length;
      accumulator.add(group.emotions, inBucket, group.ones);
      const perRow = sentimentByRow.get(group);
      if (perRow) for (const row of inBucket) sentiments.push(perRow[row]!);
    }
    if (units === 0) return `${bucketLabel(bucket)}: no ${unit}s`;
    const sentiment = mean(sentiments);
    return `${bucketLabel(bucket)}: ${formatScores(accumulator.top(k))}${sentiment === sentiment ? ` · sentiment ${sentiment.toFixed(1)}` : ""} (${units} ${unit}s)`;
  });
  return { heading: heading(context, `language — arc, top ${k} per ${formatTime(buckets[0]!.end - buckets[0]!.start)}`), rows };
}

export function condenseNer(mentions: NerMention[], context: ModelContext): ModelView {
  const view: ModelView = { summary: [], sections: [], figures: {}, notes: [] };
  const kept = mentions.filter((mention) => {
    if (!keepGroup(context, mention.group)) return false;
    if (context.from === undefined && context.to === undefined) return true;
    if (mention.begin === undefined) return false;
    return (context.from === undefined || mention.begin >= context.from) && (context.to === undefined || mention.begin <= context.to);
  });
  const at = (mention: NerMention) => mention.begin ?? mention.position;
  const entities = new Map<string, { name: string; count: number; first: NerMention; uri?: string }>();
  for (const mention of kept) {
    const key = mention.entity.trim().toLowerCase();
    const entry = entities.get(key);
    if (!entry) entities.set(key, { name: mention.entity.trim(), count: 1, first: mention, uri: mention.uri });
    else {
      entry.count++;
      if (at(mention) < at(entry.first)) entry.first = mention;
      entry.uri ??= mention.uri;
    }
  }
  const ranked = [...entities.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  const firstAt = (mention: NerMention) => (mention.begin !== undefined ? formatTime(mention.begin) : `char ${mention.position}`);
  view.summary.push(
    `ner: ${formatCount(kept.length)} mentions of ${formatCount(ranked.length)} entities` +
      (ranked.length > 0
        ? `; most mentioned: ${ranked
            .slice(0, context.topK)
            .map((entity) => `${sanitizeVendorText(entity.name, 60)} ×${entity.count} (first ${firstAt(entity.first)})`)
            .join(", ")}`
        : ""),
  );
  if (ranked.length > 0 && context.view === "summary") {
    view.sections.push({
      heading: heading(context, "named entities (most mentioned first)"),
      rows: ranked.map(
        (entity) =>
          `${sanitizeVendorText(entity.name, 60)} — ${entity.count} mention${entity.count === 1 ? "" : "s"}, first at ${firstAt(entity.first)}` +
          (entity.uri ? ` (${sanitizeVendorText(entity.uri, 120)})` : ""),
      ),
    });
  }
  if (kept.length > 0 && context.view === "timeline") {
    const ordered = [...kept].sort((a, b) => at(a) - at(b) || a.entity.localeCompare(b.entity));
    view.sections.push({
      heading: heading(context, "named entities — mentions in order"),
      rows: ordered.map(
        (mention) =>
          `${firstAt(mention)} ${sanitizeVendorText(mention.entity, 60)}${mention.confidence !== undefined ? ` (confidence ${formatScore(mention.confidence)})` : ""}`,
      ),
    });
  }
  view.figures = {
    mentions: kept.length,
    entities: ranked.slice(0, context.topK).map((entity) => ({ name: sanitizeVendorText(entity.name, 60), count: entity.count })),
  };
  view.endS = kept.reduce((latest, mention) => Math.max(latest, mention.begin ?? 0), 0);
  return view;
}

export function condenseFacemesh(groups: FacemeshGroupIndex[], context: ModelContext): ModelView {
  const accumulator = new NamedMeanAccumulator();
  let count = 0;
  for (const group of groups.filter((entry) => keepGroup(context, entry.id))) {
    const matrix = decodeMatrix(group.emotions);
    const rows = Int32Array.from({ length: group.count }, (_, row) => row);
    accumulator.add(matrix, rows, new Float64Array(group.count).fill(1));
    count += group.count;
  }
  const top = accumulator.top(context.topK);
  return {
    summary: [`facemesh: ${formatCount(count)} predictions (no times); top (mean): ${formatScores(top)}`],
    sections: [],
    figures: { predictions: count, top: toFigures(top) },
    notes: context.from !== undefined || context.to !== undefined ? ["facemesh predictions carry no times; the window does not apply to them"] : [],
  };
}

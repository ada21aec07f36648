// audio_expression results → CondensedView. Summary first: the recording's top expressions
// and voice attributes ranked by mean probability over all measurements (a name absent from a
// measurement — below Hume's cut-off — counts as 0), their peaks with absolute times, then
// turns (speech separated by pauses), the measurement timeline, or an arc over time windows.

import { describeWindow, formatDuration, formatScore, formatSpan, formatTime, overlapsWindow, sanitizeVendorText, topK } from "../../condense/format.js";
import type { CondensedView, DetailSection } from "../../condense/view.js";
import { UserInputError } from "../../errors.js";
import type { CondenseInput } from "../provider.js";
import type { CloudAudioIndex, CloudAudioMeasurementIndex, IndexedScore } from "./hume-cloud-index.js";

export const CLOUD_AUDIO_VIEWS = ["summary", "timeline", "arc"] as const;
type CloudAudioView = (typeof CLOUD_AUDIO_VIEWS)[number];

/** A pause at least this long ends a turn; shorter ones are breaths within it. */
export const TURN_PAUSE_S = 1;
const ARC_WINDOWS = 12;
const ARC_STEPS_S = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200];
const ROW_TOP = 3;
const ROW_VOICE_TOP = 2;

export interface RankedScore {
  name: string;
  score: number;
}

/** Mean probability per name over `measurements`, absent names counting 0; ranked, ties by name. */
export function rankByMean(measurements: CloudAudioMeasurementIndex[], key: "e" | "v", names: string[], k: number): RankedScore[] {
  if (measurements.length === 0) return [];
  const sums = new Float64Array(names.length);
  for (const measurement of measurements) for (const [position, probability] of measurement[key]) sums[position]! += probability;
  const ranked: RankedScore[] = [];
  sums.forEach((sum, position) => {
    if (sum > 0) ranked.push({ name: names[position]!, score: sum / measurements.length });
  });
  return topK(ranked, k);
}

function list(scores: RankedScore[]): string {
  return scores.length > 0 ? scores.map((entry) => `${sanitizeVendorText(entry.name, 40)} ${formatScore(entry.score)}`).join(", ") : "none above Hume's cut-off";
}

function rowScores(scores: IndexedScore[], names: string[], k: number): RankedScore[] {
  return topK(
    scores.map(([position, probability]) => ({ name: names[position]!, score: probability })),
    k,
  );
}

function asIndex(index: unknown): CloudAudioIndex {
  const candidate = index as CloudAudioIndex | undefined;
  if (!candidate || candidate.kind !== "hume-cloud-audio") throw new UserInputError("this job's stored result is not an audio_expression result");
  return candidate;
}

function parseView(view: string | undefined): CloudAudioView {
  if (view === undefined) return "summary";
  if ((CLOUD_AUDIO_VIEWS as readonly string[]).includes(view)) return view as CloudAudioView;
  throw new UserInputError(`view "${view}" is not one of audio_expression's views: ${CLOUD_AUDIO_VIEWS.join(", ")}`);
}

interface Turn {
  startS: number;
  endS: number;
  measurements: CloudAudioMeasurementIndex[];
}

/** Utterances joined while the pause between them is shorter than TURN_PAUSE_S. */
export function turnsOf(utterances: CloudAudioIndex["utterances"]): Turn[] {
  const turns: Turn[] = [];
  for (const utterance of [...utterances].sort((a, b) => a.startS - b.startS)) {
    const last = turns.at(-1);
    if (last && utterance.startS - last.endS < TURN_PAUSE_S) {
      last.endS = Math.max(last.endS, utterance.endS);
      last.measurements.push(...utterance.measurements);
    } else turns.push({ startS: utterance.startS, endS: utterance.endS, measurements: [...utterance.measurements] });
  }
  return turns;
}

function arcStep(spanS: number): number {
  const wanted = spanS / ARC_WINDOWS;
  return ARC_STEPS_S.find((step) => step >= wanted) ?? ARC_STEPS_S.at(-1)!;
}

export function condenseCloudAudio(input: CondenseInput): CondensedView {
  const index = asIndex(input.index);
  const query = input.query;
  const view = parseView(query.view);
  const from = query.start_s;
  const to = query.end_s;
  const k = Math.max(1, query.top_k);
  const rowK = Math.min(k, ROW_TOP);
  const inWindow = (startS: number, endS: number) => overlapsWindow(startS, endS, from, to);
  const utterances = index.utterances
    .filter((utterance) => inWindow(utterance.startS, utterance.endS))
    .map((utterance) => ({ ...utterance, measurements: utterance.measurements.filter((measurement) => inWindow(measurement.startS, measurement.endS)) }));
  const measurements = utterances.flatMap((utterance) => utterance.measurements).sort((a, b) => a.endS - b.endS || a.startS - b.startS);

  const about = [
    `Hume Expression Measurement, current API (audio_expression): ${sanitizeVendorText(index.name, 80)}, ${formatDuration(index.durationS)}, sent in ${index.chunks.length} request${index.chunks.length === 1 ? "" : "s"}; ${index.utterances.length} utterances, ${index.measurementCount} measurements (one every ${index.timerMs / 1000} s of speech, each covering the last ≤ 10 s).`,
  ];
  const window = describeWindow(from, to);
  const summary: string[] = [];
  const topExpressions = rankByMean(measurements, "e", index.expressionNames, k);
  const topVoice = rankByMean(measurements, "v", index.voiceNames, k);
  const turns = turnsOf(utterances);
  if (measurements.length === 0) {
    summary.push(window ? `No measurement in ${window}.` : "Hume measured no speech in this recording (no utterance detected).");
  } else {
    const scope = window ? `in ${window}` : "over the whole recording";
    summary.push(`Top expressions ${scope} (mean probability over ${measurements.length} measurements; a name below Hume's cut-off counts 0): ${list(topExpressions)}`);
    summary.push(`Top voice attributes ${scope}: ${list(topVoice)}`);
    const peaks = topExpressions.map((entry) => {
      const position = index.expressionNames.indexOf(entry.name);
      let best: CloudAudioMeasurementIndex | undefined;
      let bestScore = -1;
      for (const measurement of measurements) {
        const score = measurement.e.find(([name]) => name === position)?.[1] ?? 0;
        if (score > bestScore) {
          best = measurement;
          bestScore = score;
        }
      }
      return `${sanitizeVendorText(entry.name, 40)} ${formatScore(bestScore)} at ${formatSpan(best!.startS, best!.endS)}`;
    });
    summary.push(`Peaks (highest single measurement): ${peaks.join("; ")}`);
    const speechS = utterances.reduce((sum, utterance) => sum + Math.max(0, utterance.endS - utterance.startS), 0);
    summary.push(
      `Speech: ${utterances.length} utterances, ${formatDuration(speechS)} in all, in ${turns.length} turn${turns.length === 1 ? "" : "s"} (speech separated by pauses ≥ ${TURN_PAUSE_S} s; Hume does not tell speakers apart).`,
    );
    const byTurn = turns
      .filter((turn) => turn.measurements.length > 0)
      .map((turn) => ({ turn, top: rankByMean(turn.measurements, "e", index.expressionNames, 1)[0] }))
      .filter((entry) => entry.top);
    if (byTurn.length > 1) {
      const longest = [...byTurn].sort((a, b) => b.turn.endS - b.turn.startS - (a.turn.endS - a.turn.startS) || a.turn.startS - b.turn.startS).slice(0, 3);
      summary.push(`Longest turns: ${longest.map(({ turn, top }) => `${formatSpan(turn.startS, turn.endS)} ${sanitizeVendorText(top!.name, 40)} ${formatScore(top!.score)}`).join("; ")}`);
    }
  }

  const sections: DetailSection[] = [];
  const describe = (group: CloudAudioMeasurementIndex[]) =>
    `${list(rankByMean(group, "e", index.expressionNames, rowK))} | voice: ${list(rankByMean(group, "v", index.voiceNames, ROW_VOICE_TOP))}`;
  if (view === "summary") {
    sections.push({
      heading: "Turns (start–end, measurements: top expressions by mean | voice attributes)",
      rows: turns.map((turn) => `${formatSpan(turn.startS, turn.endS)} (${turn.measurements.length}): ${turn.measurements.length > 0 ? describe(turn.measurements) : "not measured"}`),
    });
  } else if (view === "timeline") {
    sections.push({
      heading: "Measurements (span measured, trigger: top expressions | voice attributes)",
      rows: measurements.map(
        (measurement) =>
          `${formatSpan(measurement.startS, measurement.endS)} ${sanitizeVendorText(measurement.trigger, 20)}: ${list(rowScores(measurement.e, index.expressionNames, rowK))} | voice: ${list(rowScores(measurement.v, index.voiceNames, ROW_VOICE_TOP))}`,
      ),
    });
  } else {
    const startS = from ?? 0;
    const endS = Math.max(startS, to ?? index.durationS);
    const step = arcStep(endS - startS);
    const rows: string[] = [];
    for (let windowStart = startS; windowStart < endS || rows.length === 0; windowStart += step) {
      const windowEnd = Math.min(endS, windowStart + step);
      const group = measurements.filter((measurement) => measurement.endS >= windowStart && (measurement.endS < windowEnd || (windowEnd === endS && measurement.endS <= windowEnd)));
      rows.push(`${formatSpan(windowStart, windowEnd)} (${group.length}): ${group.length > 0 ? describe(group) : "no speech measured"}`);
      if (windowEnd >= endS) break;
    }
    sections.push({ heading: `Arc (${formatTime(step)} windows by when each measurement was taken: mean top expressions | voice attributes)`, rows });
  }

  const notes: string[] = [];
  if (window) notes.push(`${window}: only utterances and measurements overlapping it are counted`);
  notes.push(`other views: ${CLOUD_AUDIO_VIEWS.filter((entry) => entry !== view).join(", ")}; start_s/end_s narrow to a stretch; top_k sets how many names the summary ranks`);
  if (index.chunks.length > 1) {
    const cuts = index.chunks.slice(1).map((chunk) => formatTime(chunk.startS));
    notes.push(`the recording went to Hume in ${index.chunks.length} pieces cut at pauses (at ${cuts.slice(0, 8).join(", ")}${cuts.length > 8 ? ", …" : ""}); all times are absolute`);
  }
  return {
    about,
    summary,
    sections,
    notes,
    figures: {
      duration_s: Math.round(index.durationS * 10) / 10,
      requests: index.chunks.length,
      utterances: utterances.length,
      measurements: measurements.length,
      top_expressions: topExpressions.map((entry) => ({ name: entry.name, mean: Math.round(entry.score * 10_000) / 10_000 })),
      top_voice_attributes: topVoice.map((entry) => ({ name: entry.name, mean: Math.round(entry.score * 10_000) / 10_000 })),
    },
  };
}

// pyannoteAI output → compact index → condensed views (pure, no I/O).

import {
  describeWindow,
  formatCount,
  formatPercent,
  formatScore,
  formatSpan,
  formatTime,
  overlapsWindow,
  sanitizeVendorText,
} from "../../condense/format.js";
import type { CondensedView, PredictionQuery } from "../../condense/view.js";
import { UserInputError } from "../../errors.js";
import type { Job, TaskId } from "../../jobs/job.js";
import type { PyannoteOutput } from "./pyannote-api.js";

/** Gaps shorter than this between two segments of one speaker are one turn. */
const MERGE_GAP_S = 0.5;

export interface Segment {
  speaker: string;
  start: number;
  end: number;
}

export interface TextTurn extends Segment {
  text: string;
}

export interface PyannoteIndex {
  version: 1;
  task: TaskId;
  segments: Segment[];
  transcript?: TextTurn[];
  /** identify: segments named after the matched voiceprint (or the diarized speaker). */
  named?: Array<Segment & { diarizationSpeaker?: string }>;
  matches?: Array<{ speaker: string; match: string | null; confidence: Record<string, number> }>;
  voiceprintLabel?: string;
  warning?: string;
}

/** Builds the index. The voiceprint string itself is never part of it. */
export function buildPyannoteIndex(task: TaskId, output: PyannoteOutput, voiceprintLabel?: string): PyannoteIndex {
  const segments = (output.diarization ?? []).map(({ speaker, start, end }) => ({ speaker, start, end }));
  segments.sort((a, b) => a.start - b.start || a.end - b.end);
  let transcript: TextTurn[] | undefined;
  if (output.turnLevelTranscription && output.turnLevelTranscription.length > 0) {
    transcript = output.turnLevelTranscription.map((turn) => ({ speaker: turn.speaker ?? "?", start: turn.start, end: turn.end, text: turn.text.trim() }));
  } else if (output.wordLevelTranscription && output.wordLevelTranscription.length > 0) {
    transcript = [];
    for (const word of output.wordLevelTranscription) {
      const speaker = word.speaker ?? "?";
      const last = transcript.at(-1);
      if (last && last.speaker === speaker && word.start - last.end < 1.5) {
        last.end = word.end;
        last.text += " " + word.text.trim();
      } else transcript.push({ speaker, start: word.start, end: word.end, text: word.text.trim() });
    }
  }
  return {
    version: 1,
    task,
    segments,
    ...(transcript ? { transcript } : {}),
    ...(output.identification
      ? {
          named: output.identification.map((entry) => ({
            speaker: entry.match ?? entry.speaker,
            start: entry.start,
            end: entry.end,
            ...(entry.diarizationSpeaker ? { diarizationSpeaker: entry.diarizationSpeaker } : {}),
          })),
        }
      : {}),
    ...(output.voiceprints
      ? { matches: output.voiceprints.map((entry) => ({ speaker: entry.speaker, match: entry.match ?? null, confidence: entry.confidence ?? {} })) }
      : {}),
    ...(voiceprintLabel ? { voiceprintLabel } : {}),
    ...(output.warning ? { warning: sanitizeVendorText(output.warning) } : {}),
  };
}

export interface SpeakerStats {
  speaker: string;
  talkSeconds: number;
  share: number;
  turns: number;
  longestTurn?: Segment;
}

/** Consecutive segments of one speaker with short gaps become one turn. */
export function mergeTurns(segments: readonly Segment[]): Segment[] {
  const bySpeaker = new Map<string, Segment[]>();
  for (const segment of segments) {
    const list = bySpeaker.get(segment.speaker) ?? [];
    list.push(segment);
    bySpeaker.set(segment.speaker, list);
  }
  const turns: Segment[] = [];
  for (const [speaker, list] of bySpeaker) {
    list.sort((a, b) => a.start - b.start);
    let current: Segment | undefined;
    for (const segment of list) {
      if (current && segment.start - current.end < MERGE_GAP_S) current.end = Math.max(current.end, segment.end);
      else {
        if (current) turns.push(current);
        current = { speaker, start: segment.start, end: segment.end };
      }
    }
    if (current) turns.push(current);
  }
  return turns.sort((a, b) => a.start - b.start || a.speaker.localeCompare(b.speaker));
}

/** Total time during which two or more speakers talk at once. */
export function overlapSeconds(segments: readonly Segment[]): number {
  const events: Array<[number, number]> = [];
  for (const segment of segments) {
    if (segment.end > segment.start) events.push([segment.start, 1], [segment.end, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let active = 0;
  let last = 0;
  let overlap = 0;
  for (const [time, delta] of events) {
    if (active >= 2) overlap += time - last;
    active += delta;
    last = time;
  }
  return overlap;
}

function clip(segments: readonly Segment[], from?: number, to?: number): Segment[] {
  if (from === undefined && to === undefined) return [...segments];
  return segments
    .filter((segment) => overlapsWindow(segment.start, segment.end, from, to))
    .map((segment) => ({ ...segment, start: Math.max(segment.start, from ?? -Infinity), end: Math.min(segment.end, to ?? Infinity) }))
    .filter((segment) => segment.end > segment.start);
}

export function speakerStats(segments: readonly Segment[]): SpeakerStats[] {
  const turns = mergeTurns(segments);
  const totals = new Map<string, number>();
  for (const segment of segments) totals.set(segment.speaker, (totals.get(segment.speaker) ?? 0) + (segment.end - segment.start));
  const allTalk = [...totals.values()].reduce((sum, value) => sum + value, 0);
  return [...totals.entries()]
    .map(([speaker, talkSeconds]) => {
      const own = turns.filter((turn) => turn.speaker === speaker);
      const longestTurn = own.reduce<Segment | undefined>((best, turn) => (!best || turn.end - turn.start > best.end - best.start ? turn : best), undefined);
      return { speaker, talkSeconds, share: allTalk > 0 ? talkSeconds / allTalk : 0, turns: own.length, longestTurn };
    })
    .sort((a, b) => b.talkSeconds - a.talkSeconds || a.speaker.localeCompare(b.speaker));
}

function describeInputs(job: Job): string {
  const input = job.inputs[0];
  if (!input) return "no input recorded";
  if (input.kind === "url") return input.url;
  if (input.kind === "path") return input.name;
  return input.kind;
}

export function condensePyannote(job: Job, index: PyannoteIndex, query: PredictionQuery): CondensedView {
  if (index.task === "voiceprint") {
    return {
      about: [`Voiceprint of ${describeInputs(job)}`],
      summary: index.voiceprintLabel
        ? [
            `Voiceprint stored under label "${index.voiceprintLabel}" (the voiceprint itself is kept out of results).`,
            `Use it in an identify job: start_job {provider: "pyannote", task: "identify", options: {voiceprints: ["${index.voiceprintLabel}"]}}.`,
          ]
        : ["The job succeeded but pyannoteAI returned no voiceprint."],
      sections: [],
      figures: { label: index.voiceprintLabel ?? null },
    };
  }
  const { start_s: from, end_s: to } = query;
  const named = index.task === "identify" && index.named ? index.named : undefined;
  const base = named ?? index.segments;
  const speakers = [...new Set(base.map((segment) => segment.speaker))].sort();
  if (query.speaker && !speakers.includes(query.speaker)) {
    throw new UserInputError(`no speaker "${query.speaker}" in ${job.id}; speakers: ${speakers.join(", ")}`);
  }
  const windowed = clip(base, from, to);
  const stats = speakerStats(windowed);
  const span = base.length > 0 ? { start: Math.min(...base.map((s) => s.start)), end: Math.max(...base.map((s) => s.end)) } : undefined;
  const totalTalk = stats.reduce((sum, entry) => sum + entry.talkSeconds, 0);
  const overlap = overlapSeconds(windowed);
  const window = describeWindow(from, to);

  const summary: string[] = [
    `${stats.length} speaker${stats.length === 1 ? "" : "s"}, ${formatTime(totalTalk)} of speech${span ? ` between ${formatSpan(span.start, span.end)}` : ""}${window ? ` (${window})` : ""}; overlap ${formatTime(overlap)}${totalTalk > 0 ? ` (${formatPercent(overlap / totalTalk)} of speech)` : ""}`,
  ];
  for (const entry of stats) {
    const longest = entry.longestTurn ? `, longest turn ${(entry.longestTurn.end - entry.longestTurn.start).toFixed(1)} s at ${formatSpan(entry.longestTurn.start, entry.longestTurn.end)}` : "";
    summary.push(`${entry.speaker}: ${formatTime(entry.talkSeconds)} (${formatPercent(entry.share)}), ${entry.turns} turn${entry.turns === 1 ? "" : "s"}${longest}`);
  }
  if (index.matches && index.matches.length > 0) {
    summary.push("Voiceprint matches:");
    for (const match of index.matches) {
      const scores = Object.entries(match.confidence)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, query.top_k)
        .map(([label, score]) => `${label} ${formatScore(score)}`)
        .join(", ");
      summary.push(`${match.speaker} → ${match.match ?? "no match"}${scores ? ` (confidence: ${scores})` : ""}`);
    }
  }

  const notes: string[] = [];
  if (index.warning) notes.push(`pyannoteAI warning: ${index.warning}`);
  if (query.speaker) notes.push(`timeline shows ${query.speaker} only; the summary covers everyone`);
  const sections = [];
  if (query.view === "transcript") {
    if (!index.transcript) throw new UserInputError(`${job.id} has no transcript: start the job with options.transcription: true (precision-2)`);
    const rows = index.transcript
      .filter((turn) => overlapsWindow(turn.start, turn.end, from, to) && (!query.speaker || turn.speaker === query.speaker))
      .map((turn) => `${formatTime(turn.start)} ${turn.speaker}: ${sanitizeVendorText(turn.text, 600)}`);
    sections.push({ heading: "Transcript (by turn)", rows });
  } else if (query.view !== "summary") {
    const turns = mergeTurns(windowed).filter((turn) => !query.speaker || turn.speaker === query.speaker);
    sections.push({
      heading: `Timeline (merged turns${named ? ", named by voiceprint match" : ""})`,
      rows: turns.map((turn) => `${formatSpan(turn.start, turn.end)} ${turn.speaker} (${(turn.end - turn.start).toFixed(1)} s)`),
    });
    if (index.transcript) notes.push('a transcript is available: view "transcript"');
  }
  if (speakers.length > 0 && !query.speaker) notes.push(`filter the timeline with speaker (one of ${speakers.join(", ")}) or start_s/end_s`);
  return {
    about: [`${index.task === "identify" ? "Speaker identification" : "Speaker diarization"} of ${describeInputs(job)}; ${formatCount(index.segments.length)} segments`],
    summary,
    sections,
    notes,
    figures: {
      speakers: stats.map((entry) => ({ speaker: entry.speaker, talk_s: round(entry.talkSeconds), share: round(entry.share, 3), turns: entry.turns })),
      overlap_s: round(overlap),
      speech_s: round(totalTalk),
    },
  };
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

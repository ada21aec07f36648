// pyannoteAI output → compact index → condensed views (pure, no I/O).
// The index keeps segments, exclusive segments, transcript turns, identification and
// confidence (downsampled); it never holds a voiceprint.

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
import type { CondensedView, DetailSection, PredictionQuery } from "../../condense/view.js";
import { UserInputError } from "../../errors.js";
import type { Job, TaskId } from "../../jobs/job.js";
import type { PyannoteOutput } from "./pyannote-api.js";

/** Gaps shorter than this between two segments of one speaker are one turn. */
export const MERGE_GAP_S = 0.5;
/** Words of one speaker closer than this join one transcript turn (word-level only outputs). */
const WORD_JOIN_GAP_S = 1.5;
/** Per-sample confidence is kept at this resolution at most: 24 h stays ~86,400 numbers. */
const CONFIDENCE_BUCKET_S = 1;
/** Confidence (0–100) under which a turn or a stretch of speech counts as uncertain. */
const LOW_CONFIDENCE = 50;

export interface Segment {
  speaker: string;
  start: number;
  end: number;
}

/** A diarization segment; `confidence` is the turn-level score (0–100) for its own speaker. */
export interface ScoredSegment extends Segment {
  confidence?: number;
}

export interface TextTurn extends Segment {
  text: string;
}

export interface NamedSegment extends Segment {
  /** The diarized label (SPEAKER_00) behind a voiceprint name. */
  diarizationSpeaker?: string;
}

export interface VoiceprintMatch {
  speaker: string;
  match: string | null;
  confidence: Record<string, number>;
}

export interface PyannoteIndex {
  version: 1;
  task: TaskId;
  segments: ScoredSegment[];
  exclusive?: Segment[];
  transcript?: TextTurn[];
  words?: number;
  /** identify: segments named after the matched voiceprint (or the diarized speaker). */
  named?: NamedSegment[];
  matches?: VoiceprintMatch[];
  /**
   * Per-sample confidence averaged into buckets of `resolution` seconds, rounded to integers
   * (for turns and windows), plus the exact mean and low share over all speech, computed from
   * the vendor's samples before bucketing.
   */
  confidence?: { resolution: number; scores: Array<number | null>; speechMean?: number; speechLowShare?: number };
  voiceprintLabel?: string;
  warning?: string;
}

/** Builds the index. The voiceprint string itself is never part of it. */
export function buildPyannoteIndex(task: TaskId, output: PyannoteOutput, voiceprintLabel?: string): PyannoteIndex {
  const byTime = (a: Segment, b: Segment) => a.start - b.start || a.end - b.end || a.speaker.localeCompare(b.speaker);
  const segments: ScoredSegment[] = (output.diarization ?? []).map(({ speaker, start, end, confidence }) => {
    const own = confidence?.[speaker];
    return own === undefined ? { speaker, start, end } : { speaker, start, end, confidence: own };
  });
  segments.sort(byTime);
  const exclusive = output.exclusiveDiarization?.map(({ speaker, start, end }) => ({ speaker, start, end })).sort(byTime);

  let transcript: TextTurn[] | undefined;
  const words = output.wordLevelTranscription ?? [];
  if (output.turnLevelTranscription && output.turnLevelTranscription.length > 0) {
    transcript = output.turnLevelTranscription.map((turn) => ({ speaker: turn.speaker ?? "?", start: turn.start, end: turn.end, text: turn.text.trim() }));
  } else if (words.length > 0) {
    transcript = [];
    for (const word of words) {
      const speaker = word.speaker ?? "?";
      const last = transcript.at(-1);
      if (last && last.speaker === speaker && word.start - last.end < WORD_JOIN_GAP_S) {
        last.end = word.end;
        last.text += " " + word.text.trim();
      } else transcript.push({ speaker, start: word.start, end: word.end, text: word.text.trim() });
    }
  }
  transcript?.sort(byTime);

  const named = output.identification?.map((entry) => {
    const diarizationSpeaker = entry.diarizationSpeaker ?? entry.speaker ?? undefined;
    const speaker = entry.match ?? diarizationSpeaker ?? "?";
    return { speaker, start: entry.start, end: entry.end, ...(diarizationSpeaker && diarizationSpeaker !== speaker ? { diarizationSpeaker } : {}) };
  });
  named?.sort(byTime);

  return {
    version: 1,
    task,
    segments,
    ...(exclusive ? { exclusive } : {}),
    ...(transcript ? { transcript } : {}),
    ...(words.length > 0 ? { words: words.length } : {}),
    ...(named ? { named } : {}),
    ...(output.voiceprints
      ? { matches: output.voiceprints.map((entry) => ({ speaker: entry.speaker, match: entry.match ?? null, confidence: entry.confidence ?? {} })) }
      : {}),
    ...(output.confidence?.score && output.confidence.score.length > 0 && output.confidence.resolution && output.confidence.resolution > 0
      ? { confidence: { ...downsample(output.confidence.score, output.confidence.resolution), ...speechConfidence(output.confidence.score, output.confidence.resolution, segments) } }
      : {}),
    ...(voiceprintLabel ? { voiceprintLabel } : {}),
    ...(output.warning ? { warning: sanitizeVendorText(output.warning) } : {}),
  };
}

function downsample(scores: readonly number[], resolution: number): { resolution: number; scores: Array<number | null> } {
  const perBucket = Math.max(1, Math.round(CONFIDENCE_BUCKET_S / resolution));
  const out: Array<number | null> = [];
  for (let start = 0; start < scores.length; start += perBucket) {
    let sum = 0;
    let count = 0;
    for (let index = start; index < Math.min(scores.length, start + perBucket); index++) {
      const value = scores[index]!;
      if (Number.isFinite(value)) {
        sum += value;
        count++;
      }
    }
    out.push(count > 0 ? Math.round(sum / count) : null);
  }
  return { resolution: resolution * perBucket, scores: out };
}

/** Exact mean of the samples whose centre lies in someone's speech, and the share of them under LOW_CONFIDENCE. */
function speechConfidence(scores: readonly number[], resolution: number, segments: readonly Segment[]): { speechMean?: number; speechLowShare?: number } {
  const speech = mergeTurnsExact(segments.map((segment) => ({ ...segment, speaker: "speech" })));
  let sum = 0;
  let count = 0;
  let low = 0;
  for (const stretch of speech) {
    const first = Math.max(0, Math.ceil(stretch.start / resolution - 0.5));
    const last = Math.min(scores.length, Math.ceil(stretch.end / resolution - 0.5));
    for (let sample = first; sample < last; sample++) {
      const value = scores[sample]!;
      if (!Number.isFinite(value)) continue;
      sum += value;
      count++;
      if (value < LOW_CONFIDENCE) low++;
    }
  }
  return count > 0 ? { speechMean: Math.round((sum / count) * 10) / 10, speechLowShare: Math.round((low / count) * 1000) / 1000 } : {};
}

/** Mean per-sample confidence over [start, end), or undefined when no sample falls in it. */
export function meanConfidence(confidence: PyannoteIndex["confidence"], start: number, end: number): number | undefined {
  if (!confidence) return undefined;
  const first = Math.max(0, Math.floor(start / confidence.resolution));
  const last = Math.min(confidence.scores.length, Math.ceil(end / confidence.resolution));
  let sum = 0;
  let count = 0;
  for (let index = first; index < last; index++) {
    const value = confidence.scores[index]!;
    if (value !== null && Number.isFinite(value)) {
      sum += value;
      count++;
    }
  }
  return count > 0 ? sum / count : undefined;
}

export interface SpeakerStats {
  speaker: string;
  talkSeconds: number;
  share: number;
  turns: number;
  longestTurn?: Segment;
  /** Duration-weighted mean of turn-level confidence, when the vendor gave it. */
  meanConfidence?: number;
  lowConfidenceSegments?: number;
}

/** Consecutive segments of one speaker with gaps under MERGE_GAP_S become one turn. */
export function mergeTurns<T extends Segment>(segments: readonly T[]): Segment[] {
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
  // Per speaker first, so one speaker's own overlapping segments do not count as overlap.
  const merged = mergeTurnsExact(segments);
  const events: Array<[number, number]> = [];
  for (const segment of merged) events.push([segment.start, 1], [segment.end, -1]);
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

/** Union of each speaker's segments (touching or overlapping ones joined, no gap tolerance). */
function mergeTurnsExact(segments: readonly Segment[]): Segment[] {
  const bySpeaker = new Map<string, Segment[]>();
  for (const segment of segments) {
    if (!(segment.end > segment.start)) continue;
    const list = bySpeaker.get(segment.speaker) ?? [];
    list.push(segment);
    bySpeaker.set(segment.speaker, list);
  }
  const out: Segment[] = [];
  for (const [speaker, list] of bySpeaker) {
    list.sort((a, b) => a.start - b.start);
    let current: Segment | undefined;
    for (const segment of list) {
      if (current && segment.start <= current.end) current.end = Math.max(current.end, segment.end);
      else {
        if (current) out.push(current);
        current = { speaker, start: segment.start, end: segment.end };
      }
    }
    if (current) out.push(current);
  }
  return out;
}

function clip<T extends Segment>(segments: readonly T[], from?: number, to?: number): T[] {
  if (from === undefined && to === undefined) return [...segments];
  return segments
    .filter((segment) => overlapsWindow(segment.start, segment.end, from, to))
    .map((segment) => ({ ...segment, start: Math.max(segment.start, from ?? -Infinity), end: Math.min(segment.end, to ?? Infinity) }))
    .filter((segment) => segment.end > segment.start);
}

export function speakerStats(segments: readonly ScoredSegment[]): SpeakerStats[] {
  const turns = mergeTurns(segments);
  const totals = new Map<string, { talk: number; weighted: number; scoredSeconds: number; low: number }>();
  for (const segment of segments) {
    const entry = totals.get(segment.speaker) ?? { talk: 0, weighted: 0, scoredSeconds: 0, low: 0 };
    const length = segment.end - segment.start;
    entry.talk += length;
    if (segment.confidence !== undefined) {
      entry.weighted += segment.confidence * length;
      entry.scoredSeconds += length;
      if (segment.confidence < LOW_CONFIDENCE) entry.low++;
    }
    totals.set(segment.speaker, entry);
  }
  const allTalk = [...totals.values()].reduce((sum, value) => sum + value.talk, 0);
  return [...totals.entries()]
    .map(([speaker, entry]) => {
      const own = turns.filter((turn) => turn.speaker === speaker);
      const longestTurn = own.reduce<Segment | undefined>((best, turn) => (!best || turn.end - turn.start > best.end - best.start ? turn : best), undefined);
      const stats: SpeakerStats = { speaker, talkSeconds: entry.talk, share: allTalk > 0 ? entry.talk / allTalk : 0, turns: own.length, longestTurn };
      if (entry.scoredSeconds > 0) {
        stats.meanConfidence = entry.weighted / entry.scoredSeconds;
        stats.lowConfidenceSegments = entry.low;
      }
      return stats;
    })
    .sort((a, b) => b.talkSeconds - a.talkSeconds || a.speaker.localeCompare(b.speaker));
}

function describeInputs(job: Job): string {
  const input = job.inputs[0];
  if (!input) return "no input recorded";
  if (input.kind === "url") return sanitizeVendorText(input.url, 120);
  if (input.kind === "path") return sanitizeVendorText(input.name, 120);
  return input.kind;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

export function condensePyannote(job: Job, index: PyannoteIndex, query: PredictionQuery): CondensedView {
  if (index.task === "voiceprint") return condenseVoiceprint(job, index);
  const { start_s: from, end_s: to } = query;
  const identify = index.task === "identify" && index.named !== undefined;
  const base: NamedSegment[] | ScoredSegment[] = identify ? index.named! : index.segments;
  const speakers = [...new Set(base.map((segment) => segment.speaker))].sort();
  const diarizedNames = identify ? [...new Set(index.named!.map((segment) => segment.diarizationSpeaker).filter((name): name is string => Boolean(name)))] : [];
  const speakerFilter = query.speaker ? resolveSpeaker(query.speaker, speakers, diarizedNames, job) : undefined;

  const windowed = clip(base, from, to);
  // Turn-level confidence belongs to diarized segments; for identify it is read from them.
  const stats = speakerStats(identify ? windowed : clip(index.segments, from, to));
  // A loop, not Math.min(...): a 24 h recording can hold more segments than a call takes arguments.
  let span: { start: number; end: number } | undefined;
  for (const segment of base) span = span ? { start: Math.min(span.start, segment.start), end: Math.max(span.end, segment.end) } : { start: segment.start, end: segment.end };
  const totalTalk = stats.reduce((sum, entry) => sum + entry.talkSeconds, 0);
  const overlap = overlapSeconds(windowed);
  const window = describeWindow(from, to);

  const summary: string[] = [];
  if (base.length === 0) summary.push("pyannoteAI found no speech in this recording.");
  else {
    summary.push(
      `${plural(stats.length, "speaker")}, ${formatTime(totalTalk)} of speech${span ? ` between ${formatSpan(span.start, span.end)}` : ""}${window ? ` (${window})` : ""}; overlap ${formatTime(overlap)}${totalTalk > 0 ? ` (${formatPercent(overlap / totalTalk)} of speech)` : ""}`,
    );
  }
  if (identify) summary.push(...identificationSummary(index, query.top_k));
  for (const entry of stats) {
    const longest = entry.longestTurn ? `, longest turn ${(entry.longestTurn.end - entry.longestTurn.start).toFixed(1)} s at ${formatSpan(entry.longestTurn.start, entry.longestTurn.end)}` : "";
    const confidence = entry.meanConfidence !== undefined ? `, turn confidence ${entry.meanConfidence.toFixed(0)}/100${entry.lowConfidenceSegments ? ` (${plural(entry.lowConfidenceSegments, "segment")} under ${LOW_CONFIDENCE})` : ""}` : "";
    summary.push(`${entry.speaker}: ${formatTime(entry.talkSeconds)} (${formatPercent(entry.share)}), ${plural(entry.turns, "turn")}${longest}${confidence}`);
  }
  const sampleConfidence = confidenceSummary(index, base, from, to);
  if (sampleConfidence) summary.push(sampleConfidence.line);

  const notes: string[] = [];
  if (index.warning) notes.push(`pyannoteAI warning: ${index.warning}`);
  const view = query.view ?? "timeline";
  if (speakerFilter && view !== "summary") notes.push(`${view} shows ${speakerFilter.join(" / ")} only; the summary covers everyone`);
  const keep = (segment: NamedSegment) => !speakerFilter || speakerFilter.includes(segment.speaker) || (segment.diarizationSpeaker !== undefined && speakerFilter.includes(segment.diarizationSpeaker));

  const sections: DetailSection[] = [];
  switch (view) {
    case "summary":
      break;
    case "transcript": {
      if (!index.transcript) throw new UserInputError(`${job.id} has no transcript: start a diarize job with options.transcription: true (model precision-2)`);
      const rows = index.transcript
        .filter((turn) => overlapsWindow(turn.start, turn.end, from, to) && keep(turn))
        .map((turn) => `${formatTime(turn.start)} ${turn.speaker}: ${sanitizeVendorText(turn.text, 600)}`);
      sections.push({ heading: "Transcript (by turn)", rows });
      break;
    }
    case "exclusive": {
      if (!index.exclusive) throw new UserInputError(`${job.id} has no exclusive diarization: start the job with options.exclusive: true`);
      const turns = mergeTurns(clip(index.exclusive, from, to)).filter(keep);
      sections.push({ heading: "Exclusive timeline (one speaker at a time, merged turns)", rows: turns.map((turn) => timelineRow(turn, index)) });
      break;
    }
    case "timeline": {
      const turns = identify ? mergeNamedTurns(windowed) : mergeTurns(windowed);
      sections.push({
        heading: `Timeline (merged turns${identify ? ", named by voiceprint match" : ""})`,
        rows: turns.filter(keep).map((turn) => timelineRow(turn, index)),
      });
      break;
    }
    default:
      throw new UserInputError(`unknown view "${view}" for a pyannote ${index.task} job; views: ${viewsOf(index).join(", ")}`);
  }
  const otherViews = viewsOf(index).filter((name) => name !== view);
  if (otherViews.length > 0) notes.push(`other views: ${otherViews.join(", ")}`);
  if (speakers.length > 0 && !speakerFilter) notes.push(`filter details with speaker (one of ${speakers.slice(0, 20).join(", ")}${speakers.length > 20 ? ", …" : ""}) or start_s/end_s`);

  const figures: Record<string, unknown> = {
    speakers: stats.map((entry) => ({
      speaker: entry.speaker,
      talk_s: round(entry.talkSeconds),
      share: round(entry.share, 3),
      turns: entry.turns,
      ...(entry.meanConfidence !== undefined ? { confidence: round(entry.meanConfidence) } : {}),
    })),
    overlap_s: round(overlap),
    speech_s: round(totalTalk),
  };
  if (sampleConfidence) figures.confidence = round(sampleConfidence.mean);
  if (identify && index.matches) figures.matches = Object.fromEntries(index.matches.map((match) => [match.speaker, match.match]));
  return {
    about: [
      `${identify ? "Speaker identification" : "Speaker diarization"} of ${describeInputs(job)}; ${formatCount(index.segments.length)} segments${index.words ? `, ${formatCount(index.words)} transcribed words` : ""}`,
    ],
    summary,
    sections,
    notes,
    figures,
  };
}

/** Views a job's index can serve; the first is the default. */
export function viewsOf(index: PyannoteIndex): string[] {
  if (index.task === "voiceprint") return ["summary"];
  return ["timeline", "summary", ...(index.transcript ? ["transcript"] : []), ...(index.exclusive ? ["exclusive"] : [])];
}

function condenseVoiceprint(job: Job, index: PyannoteIndex): CondensedView {
  const label = index.voiceprintLabel;
  return {
    about: [`Voiceprint of ${describeInputs(job)}`],
    summary: label
      ? [
          `voiceprint stored under label "${label}" (the voiceprint itself is kept out of results).`,
          `Use it with task identify: start_job {provider: "pyannote", task: "identify", media: [...], options: {voiceprints: ["${label}"]}}.`,
        ]
      : ["The job succeeded but pyannoteAI returned no voiceprint."],
    sections: [],
    ...(index.warning ? { notes: [`pyannoteAI warning: ${index.warning}`] } : {}),
    figures: { label: label ?? null },
  };
}

/** Who matched whom, with what confidence, and who stayed unmatched. */
function identificationSummary(index: PyannoteIndex, topK: number): string[] {
  const lines: string[] = [];
  const matches = [...(index.matches ?? [])].sort((a, b) => a.speaker.localeCompare(b.speaker));
  const labels = new Set<string>();
  for (const match of matches) for (const label of Object.keys(match.confidence)) labels.add(label);
  const matched = matches.filter((match) => match.match !== null);
  const unmatched = matches.filter((match) => match.match === null);
  lines.push(`Voiceprint matches: ${matched.length} of ${plural(matches.length, "diarized speaker")} matched`);
  for (const match of matches) {
    const scores = ranked(match.confidence, topK).map(([label, value]) => `${label} ${formatScore(value)}`);
    lines.push(`${match.speaker} → ${match.match ?? "no match"}${scores.length > 0 ? ` (confidence: ${scores.join(", ")})` : ""}`);
  }
  if (unmatched.length > 0) {
    const described = unmatched.map((match) => {
      const best = ranked(match.confidence, 1)[0];
      return best ? `${match.speaker} (best ${best[0]} ${formatScore(best[1])})` : match.speaker;
    });
    lines.push(`Unmatched speakers: ${described.join(", ")}`);
  }
  const used = new Set(matched.map((match) => match.match!));
  const unused = [...labels].filter((label) => !used.has(label)).sort();
  if (unused.length > 0) lines.push(`Voiceprints not matched to anyone: ${unused.join(", ")}`);
  return lines;
}

function ranked(confidence: Record<string, number>, topK: number): Array<[string, number]> {
  return Object.entries(confidence)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, Math.max(1, topK));
}

/** Like mergeTurns, keeping the diarized label behind each name. */
function mergeNamedTurns(segments: readonly NamedSegment[]): NamedSegment[] {
  const behind = new Map<string, string>();
  for (const segment of segments) if (segment.diarizationSpeaker) behind.set(segment.speaker, segment.diarizationSpeaker);
  return mergeTurns(segments).map((turn) => {
    const diarizationSpeaker = behind.get(turn.speaker);
    return diarizationSpeaker ? { ...turn, diarizationSpeaker } : turn;
  });
}

function timelineRow(turn: NamedSegment, index: PyannoteIndex): string {
  // The diarized label behind a name is in the summary's match lines; rows stay short.
  const who = turn.speaker;
  const confidence = meanConfidence(index.confidence, turn.start, turn.end);
  return `${formatSpan(turn.start, turn.end)} ${who} (${(turn.end - turn.start).toFixed(1)} s)${confidence !== undefined ? ` conf ${confidence.toFixed(0)}` : ""}`;
}

/** Mean per-sample confidence over speech, and the share of speech under LOW_CONFIDENCE. */
function confidenceSummary(index: PyannoteIndex, base: readonly Segment[], from?: number, to?: number): { line: string; mean: number } | undefined {
  const confidence = index.confidence;
  if (!confidence) return undefined;
  // Over the whole recording the exact figures apply (identification segments are the
  // diarization's, renamed); a window reads the 1 s buckets.
  if (from === undefined && to === undefined && confidence.speechMean !== undefined) {
    return { mean: confidence.speechMean, line: `Confidence over speech: mean ${confidence.speechMean.toFixed(0)}/100; ${formatPercent(confidence.speechLowShare ?? 0)} of it under ${LOW_CONFIDENCE}` };
  }
  const speech = mergeTurnsExact(clip(base, from, to).map((segment) => ({ ...segment, speaker: "speech" })));
  let sum = 0;
  let count = 0;
  let low = 0;
  for (const stretch of speech) {
    const first = Math.max(0, Math.floor(stretch.start / confidence.resolution));
    const last = Math.min(confidence.scores.length, Math.ceil(stretch.end / confidence.resolution));
    for (let position = first; position < last; position++) {
      const value = confidence.scores[position]!;
      if (value === null || !Number.isFinite(value)) continue;
      sum += value;
      count++;
      if (value < LOW_CONFIDENCE) low++;
    }
  }
  if (count === 0) return undefined;
  const mean = sum / count;
  return { mean, line: `Confidence over speech: mean ${mean.toFixed(0)}/100; ${formatPercent(low / count)} of it under ${LOW_CONFIDENCE}` };
}

/** A speaker filter matches a name, or (identify) a diarized label; unknown names are a clear error. */
function resolveSpeaker(requested: string, speakers: string[], diarized: string[], job: Job): string[] {
  const known = [...new Set([...speakers, ...diarized])];
  const exact = known.find((name) => name === requested) ?? known.find((name) => name.toLowerCase() === requested.toLowerCase());
  if (!exact) throw new UserInputError(`no speaker "${sanitizeVendorText(requested, 60)}" in ${job.id}; speakers: ${known.join(", ") || "none"}`);
  return [exact];
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

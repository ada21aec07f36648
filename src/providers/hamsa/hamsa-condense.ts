// Hamsa transcript → the compact index stored once, and the condensed view read on every
// get_predictions call: language, duration, word count, then the transcript as rows.

import { formatCount, formatDuration, formatPercent, formatSpan, describeWindow, overlapsWindow, sanitizeVendorText } from "../../condense/format.js";
import type { CondensedView, PredictionQuery } from "../../condense/view.js";
import { UserInputError } from "../../errors.js";
import type { Job } from "../../jobs/job.js";
import { createTextMatcher, foldForSearch } from "./hamsa-text-match.js";
import type { ParsedTranscript, TranscriptSegment, TranscriptShape } from "./hamsa-transcript.js";

export const HAMSA_VIEWS = ["transcript", "summary"] as const;

export interface HamsaTranscriptIndex {
  v: 1;
  shape: TranscriptShape;
  language?: string;
  model?: string;
  durationSeconds?: number;
  wordCount: number;
  totalCost?: number;
  usageTime?: string;
  timesWereMilliseconds?: boolean;
  /** Timed segments, or sentences of a plain-text transcript (no times). */
  segments: TranscriptSegment[];
}

/** A row longer than this is cut into continuation rows so the renderer can always page. */
const MAX_ROW_CHARS = 480;
const LANGUAGE_NAMES: Record<string, string> = { ar: "Arabic", en: "English" };

export function buildHamsaIndex(
  transcript: ParsedTranscript,
  details: { language?: string; model?: string; totalCost?: number; usageTime?: string; durationHintSeconds?: number },
): HamsaTranscriptIndex {
  const segments =
    transcript.segments.length > 0
      ? transcript.segments.map((segment) => ({ ...segment, text: cleanText(segment.text) })).filter((segment) => segment.text)
      : splitSentences(transcript.text);
  const wordCount = countWords(transcript.text || segments.map((segment) => segment.text).join(" "));
  const duration = transcript.durationSeconds ?? details.durationHintSeconds;
  return {
    v: 1,
    shape: transcript.shape,
    ...(transcript.language ?? details.language ? { language: transcript.language ?? details.language } : {}),
    ...(details.model ? { model: details.model } : {}),
    ...(duration !== undefined && Number.isFinite(duration) ? { durationSeconds: duration } : {}),
    wordCount,
    ...(details.totalCost !== undefined ? { totalCost: details.totalCost } : {}),
    ...(details.usageTime ? { usageTime: details.usageTime } : {}),
    ...(transcript.timesWereMilliseconds ? { timesWereMilliseconds: true } : {}),
    segments,
  };
}

export function condenseHamsa(job: Job, index: HamsaTranscriptIndex, query: PredictionQuery): CondensedView {
  const view = query.view ?? "transcript";
  if (!(HAMSA_VIEWS as readonly string[]).includes(view)) {
    throw new UserInputError(`view "${view}" does not exist for Hamsa transcripts; use one of: ${HAMSA_VIEWS.join(", ")}`);
  }
  const notes: string[] = [];
  const summary: string[] = [];
  const timed = index.segments.some((segment) => segment.start !== undefined);
  const speakers = speakerShares(index.segments);

  const about = [
    `Transcription by Hamsa${index.model ? ` (${sanitizeVendorText(index.model, 60)})` : ""} of ${describeInputs(job)}`,
  ];
  const language = index.language ? `${LANGUAGE_NAMES[index.language] ?? sanitizeVendorText(index.language, 20)} (${sanitizeVendorText(index.language, 20)})` : "not reported";
  summary.push(
    `Language: ${language} · duration ${index.durationSeconds !== undefined ? formatDuration(index.durationSeconds) : "unknown"} · ${formatCount(index.wordCount)} words · ${formatCount(index.segments.length)} ${timed ? "segments" : "sentences"}`,
  );
  if (speakers.length > 0) {
    summary.push(
      `Speakers (${speakers.length}, talk time): ` +
        speakers.slice(0, Math.max(query.top_k, 1)).map((entry) => `${entry.speaker} ${formatPercent(entry.share)} (${formatDuration(entry.seconds)})`).join(", ") +
        (speakers.length > query.top_k ? `, … ${speakers.length - query.top_k} more` : ""),
    );
  }
  if (index.totalCost !== undefined || index.usageTime) {
    summary.push(
      `Billing: ${[index.totalCost !== undefined ? `cost ${index.totalCost}` : undefined, index.usageTime ? `usage time ${sanitizeVendorText(index.usageTime, 30)}` : undefined].filter(Boolean).join(", ")}`,
    );
  }

  let selected = index.segments.map((segment, position) => ({ segment, position }));
  const windowText = describeWindow(query.start_s, query.end_s);
  if (windowText) {
    if (timed) {
      selected = selected.filter(({ segment }) =>
        segment.start === undefined ? false : overlapsWindow(segment.start, segment.end ?? segment.start, query.start_s, query.end_s),
      );
      notes.push(`filtered to ${windowText}`);
    } else notes.push(`start_s/end_s ignored: this transcript has no timestamps`);
  }
  if (query.speaker !== undefined) {
    if (speakers.length === 0) notes.push("speaker ignored: this transcript has no speaker labels");
    else {
      const wanted = foldForSearch(query.speaker);
      selected = selected.filter(({ segment }) => segment.speaker !== undefined && foldForSearch(segment.speaker) === wanted);
      if (selected.length === 0) notes.push(`no segments by speaker "${sanitizeVendorText(query.speaker, 60)}"; speakers are: ${speakers.map((entry) => entry.speaker).join(", ")}`);
      else notes.push(`only speaker ${sanitizeVendorText(query.speaker, 60)}`);
    }
  }

  let rows: string[];
  let matchCount: number | undefined;
  if (query.query !== undefined) {
    const matches = createTextMatcher(query.query);
    const hits = new Set<number>();
    selected.forEach(({ segment }, at) => {
      if (matches(segment.text)) hits.add(at);
    });
    matchCount = hits.size;
    summary.push(
      `Search "${sanitizeVendorText(query.query, 80)}": ${formatCount(hits.size)} matching ${timed ? "segment" : "sentence"}${hits.size === 1 ? "" : "s"}` +
        (hits.size > 0 ? " (marked », with one segment of context before and after)" : ""),
    );
    rows = [];
    let previous = -2;
    for (let at = 0; at < selected.length; at++) {
      const near = hits.has(at) || hits.has(at - 1) || hits.has(at + 1);
      if (!near) continue;
      if (previous >= 0 && at > previous + 1) rows.push("…");
      rows.push(...formatSegment(selected[at]!.segment, hits.has(at) ? "» " : "  "));
      previous = at;
    }
    if (hits.size === 0) notes.push("matching ignores case, Arabic diacritics, tatweel and alef/yeh/teh-marbuta spelling; try a shorter query");
  } else {
    rows = selected.flatMap(({ segment }) => formatSegment(segment, ""));
  }

  if (index.shape === "raw") notes.push("Hamsa returned a transcript in a format this server does not recognize; it is shown as raw text");
  if (index.timesWereMilliseconds) notes.push("Hamsa gave times in milliseconds; shown converted to seconds");
  if (!timed && index.segments.length > 0) notes.push("Hamsa returned text without timestamps; rows are sentences");
  if (view === "transcript" && query.query === undefined && !windowText && timed) notes.push("narrow with start_s/end_s, speaker or query (text search, Arabic-aware)");

  return {
    about,
    summary,
    sections: view === "summary" ? [] : [{ heading: query.query !== undefined ? "Matches in the transcript" : "Transcript", rows }],
    notes,
    figures: {
      language: index.language ?? null,
      duration_s: index.durationSeconds ?? null,
      words: index.wordCount,
      segments: index.segments.length,
      speakers: speakers.length,
      ...(matchCount !== undefined ? { matches: matchCount } : {}),
    },
  };
}

function formatSegment(segment: TranscriptSegment, marker: string): string[] {
  const time = segment.start !== undefined ? `[${formatSpan(segment.start, segment.end ?? segment.start)}] ` : "";
  const speaker = segment.speaker ? `${sanitizeVendorText(segment.speaker, 40)}: ` : "";
  const text = segment.text;
  const first = `${marker}${time}${speaker}`;
  if (first.length + text.length <= MAX_ROW_CHARS) return [first + text];
  const rows: string[] = [];
  let rest = text;
  let prefix = first;
  while (rest.length > 0) {
    const room = MAX_ROW_CHARS - prefix.length;
    let cut = rest.length <= room ? rest.length : rest.lastIndexOf(" ", room);
    if (cut <= room / 2) cut = Math.min(room, rest.length);
    rows.push(prefix + rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
    prefix = `${marker}  …`;
  }
  return rows;
}

function speakerShares(segments: TranscriptSegment[]): Array<{ speaker: string; seconds: number; share: number }> {
  const seconds = new Map<string, number>();
  for (const segment of segments) {
    if (!segment.speaker) continue;
    const length = segment.start !== undefined && segment.end !== undefined ? Math.max(0, segment.end - segment.start) : 0;
    seconds.set(segment.speaker, (seconds.get(segment.speaker) ?? 0) + length);
  }
  const total = [...seconds.values()].reduce((sum, value) => sum + value, 0);
  return [...seconds.entries()]
    .map(([speaker, value]) => ({ speaker: sanitizeVendorText(speaker, 40), seconds: value, share: total > 0 ? value / total : 0 }))
    .sort((a, b) => b.seconds - a.seconds || a.speaker.localeCompare(b.speaker));
}

function describeInputs(job: Job): string {
  const input = job.inputs[0];
  if (!input) return "(no input recorded)";
  if (input.kind === "url" || (input.kind === "id" && input.url)) return sanitizeVendorText(input.kind === "url" ? input.url : input.url!, 160);
  return input.kind;
}

/** Control characters out, whitespace collapsed; transcript text is otherwise kept whole. */
function cleanText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
}

function splitSentences(text: string): TranscriptSegment[] {
  const cleaned = text.replace(/[\u0000-\u0009\u000b-\u001f\u007f]+/g, " ");
  return cleaned
    .split(/(?<=[.!?؟。])\s+|\n+/)
    .map((sentence) => cleanText(sentence))
    .filter(Boolean)
    .map((sentence) => ({ text: sentence }));
}

function countWords(text: string): number {
  const words = text.trim().split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word));
  return words.length;
}

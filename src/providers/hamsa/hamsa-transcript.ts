// Reads Hamsa's `jobResponse` into a normalized transcript. Hamsa does not document the shape
// for transcription jobs (PROVIDERS.md), so this accepts every shape seen or plausible:
// `text`/`transcript` strings, segment arrays named `segments`/`utterances`/`words`/`chunks`
// with `{text|word, start, end, speaker?}`, the whole thing as a JSON string, SRT text, and
// times in seconds, milliseconds or "hh:mm:ss,mmm". A shape we do not recognize is kept as
// raw text rather than failing the job: the user paid for the transcript.

export interface TranscriptSegment {
  /** Seconds; absent when the vendor gave no times. */
  start?: number;
  end?: number;
  text: string;
  speaker?: string;
}

export type TranscriptShape = "segments" | "words" | "text" | "srt" | "raw" | "empty";

export interface ParsedTranscript {
  shape: TranscriptShape;
  /** The full text, whether the vendor gave it or we joined the segments. */
  text: string;
  segments: TranscriptSegment[];
  language?: string;
  durationSeconds?: number;
  /** True when integer times were read as milliseconds. */
  timesWereMilliseconds?: boolean;
}

const TEXT_KEYS = ["text", "transcript", "transcription", "fullText", "full_text", "content"] as const;
/** SRT text is preferred over plain text: it carries timestamps (returnSrtFormat). */
const SRT_KEYS = ["srt", "srtFormat", "srt_format", "subtitles"] as const;
const SEGMENT_KEYS = ["segments", "utterances", "sentences", "chunks", "results", "words"] as const;
const NESTED_KEYS = ["data", "result", "response", "output", "jobResponse"] as const;
const SEGMENT_TEXT_KEYS = ["text", "word", "transcript", "value", "content"] as const;
const START_KEYS = ["start", "startTime", "start_time", "from", "begin", "offset"] as const;
const END_KEYS = ["end", "endTime", "end_time", "to", "stop"] as const;
const START_MS_KEYS = ["startMs", "start_ms", "startMillis"] as const;
const END_MS_KEYS = ["endMs", "end_ms", "endMillis"] as const;
const SPEAKER_KEYS = ["speaker", "speakerId", "speaker_id", "speakerLabel", "speaker_label", "spk", "channel"] as const;
const LANGUAGE_KEYS = ["language", "lang", "detectedLanguage", "detected_language", "fromLng"] as const;
const DURATION_KEYS = ["duration", "durationSeconds", "duration_seconds", "audioDuration", "audio_duration"] as const;

/** Upper bound on raw text kept from an unrecognized shape: enough to read, not a runaway blob. */
const MAX_RAW_CHARS = 200_000;

type RawSegment = { start?: number; end?: number; startIsMs: boolean; text: string; speaker?: string };

/**
 * @param durationHintSeconds the job's media duration when known (Hamsa's usageTime), used to
 *   decide whether integer times are milliseconds.
 */
export function parseHamsaTranscript(jobResponse: unknown, durationHintSeconds?: number): ParsedTranscript {
  return parseValue(jobResponse, durationHintSeconds, 0) ?? rawFallback(jobResponse);
}

function parseValue(value: unknown, hint: number | undefined, depth: number): ParsedTranscript | undefined {
  if (value === null || value === undefined) return { shape: "empty", text: "", segments: [] };
  if (depth > 4) return undefined;
  if (typeof value === "string") return parseString(value, hint, depth);
  if (Array.isArray(value)) return parseSegmentArray(value, hint, "segments");
  if (typeof value !== "object") return undefined;
  const record = value as Record<string, unknown>;

  const language = firstString(record, LANGUAGE_KEYS);
  const duration = firstNumber(record, DURATION_KEYS);
  const withMeta = (parsed: ParsedTranscript): ParsedTranscript => ({
    ...parsed,
    language: parsed.language ?? language,
    durationSeconds: parsed.durationSeconds ?? duration,
  });

  for (const key of SEGMENT_KEYS) {
    const candidate = record[key];
    if (Array.isArray(candidate) && candidate.length > 0) {
      const parsed = parseSegmentArray(candidate, hint ?? duration, key === "words" ? "words" : "segments");
      if (parsed) {
        const text = firstString(record, TEXT_KEYS);
        return withMeta(text ? { ...parsed, text: normalizeSpaces(text) } : parsed);
      }
    }
  }
  for (const key of SRT_KEYS) {
    const candidate = record[key];
    const parsed = typeof candidate === "string" ? parseSrt(candidate.trim()) : undefined;
    if (parsed) return withMeta(parsed);
  }
  for (const key of TEXT_KEYS) {
    const candidate = record[key];
    if (typeof candidate === "string") {
      const parsed = parseString(candidate, hint, depth + 1);
      if (parsed) return withMeta(parsed);
    }
  }
  for (const key of NESTED_KEYS) {
    const candidate = record[key];
    if (candidate !== undefined && candidate !== null) {
      const parsed = parseValue(candidate, hint ?? duration, depth + 1);
      if (parsed && parsed.shape !== "raw" && parsed.shape !== "empty") return withMeta(parsed);
    }
  }
  if (Object.keys(record).length === 0) return { shape: "empty", text: "", segments: [] };
  return undefined;
}

function parseString(value: string, hint: number | undefined, depth: number): ParsedTranscript | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return { shape: "empty", text: "", segments: [] };
  if (/^[[{]/.test(trimmed)) {
    try {
      const decoded: unknown = JSON.parse(trimmed);
      const parsed = parseValue(decoded, hint, depth + 1);
      if (parsed) return parsed;
      return rawFallback(decoded);
    } catch {
      // Not JSON after all: a transcript may well start with a bracket.
    }
  }
  const srt = parseSrt(trimmed);
  if (srt) return srt;
  return { shape: "text", text: normalizeSpaces(trimmed), segments: [] };
}

function parseSegmentArray(items: unknown[], hint: number | undefined, kind: "segments" | "words"): ParsedTranscript | undefined {
  const raw: RawSegment[] = [];
  let sawWordKey = false;
  for (const item of items) {
    if (typeof item === "string") {
      if (item.trim()) raw.push({ text: item.trim(), startIsMs: false });
      continue;
    }
    if (!item || typeof item !== "object") continue;
    const record = item as Record<string, unknown>;
    const text = firstString(record, SEGMENT_TEXT_KEYS);
    if (text === undefined) continue;
    if (typeof record.word === "string" && typeof record.text !== "string") sawWordKey = true;
    const startMs = firstNumber(record, START_MS_KEYS);
    const endMs = firstNumber(record, END_MS_KEYS);
    const speaker = firstString(record, SPEAKER_KEYS) ?? numberAsString(record, SPEAKER_KEYS);
    raw.push({
      start: startMs !== undefined ? startMs / 1000 : firstTime(record, START_KEYS),
      end: endMs !== undefined ? endMs / 1000 : firstTime(record, END_KEYS),
      startIsMs: startMs !== undefined,
      text: text.trim(),
      speaker: speaker?.trim() || undefined,
    });
  }
  if (raw.length === 0) return undefined;
  const inMilliseconds = looksLikeMilliseconds(raw.filter((segment) => !segment.startIsMs), hint);
  let segments: TranscriptSegment[] = raw.map((segment) => {
    const divisor = inMilliseconds && !segment.startIsMs ? 1000 : 1;
    return {
      ...(segment.start !== undefined ? { start: segment.start / divisor } : {}),
      ...(segment.end !== undefined ? { end: segment.end / divisor } : {}),
      text: segment.text,
      ...(segment.speaker ? { speaker: segment.speaker } : {}),
    };
  });
  const isWords = kind === "words" || sawWordKey;
  if (isWords) segments = groupWords(segments);
  const text = segments.map((segment) => segment.text).join(" ");
  const ends = segments.map((segment) => segment.end).filter((end): end is number => end !== undefined);
  return {
    shape: isWords ? "words" : "segments",
    text: normalizeSpaces(text),
    segments,
    durationSeconds: ends.length > 0 ? Math.max(...ends) : undefined,
    ...(inMilliseconds ? { timesWereMilliseconds: true } : {}),
  };
}

/**
 * Integer times whose typical segment lasts ≥ 50 units are milliseconds: speech segments in
 * seconds rarely last 50 s, and in milliseconds almost never last under 50 ms. When the media
 * duration is known, times far beyond it settle the question.
 */
function looksLikeMilliseconds(segments: RawSegment[], hint: number | undefined): boolean {
  const times = segments.flatMap((segment) => [segment.start, segment.end]).filter((time): time is number => time !== undefined);
  if (times.length === 0) return false;
  if (!times.every((time) => Number.isInteger(time))) return false;
  const maxTime = Math.max(...times);
  if (hint !== undefined && hint > 0) return maxTime > hint * 20;
  const durations = segments
    .map((segment) => (segment.start !== undefined && segment.end !== undefined ? segment.end - segment.start : undefined))
    .filter((duration): duration is number => duration !== undefined && duration > 0)
    .sort((a, b) => a - b);
  if (durations.length === 0) return maxTime > 6 * 3600;
  const median = durations[Math.floor(durations.length / 2)]!;
  return median >= 50;
}

/** Word-level output reads badly one word per row: merge words into phrases. */
function groupWords(words: TranscriptSegment[]): TranscriptSegment[] {
  const phrases: TranscriptSegment[] = [];
  let current: TranscriptSegment | undefined;
  let wordsInCurrent = 0;
  for (const word of words) {
    const gap = current?.end !== undefined && word.start !== undefined ? word.start - current.end : 0;
    const length = current?.start !== undefined && word.end !== undefined ? word.end - current.start : 0;
    const sentenceEnded = current !== undefined && /[.!?؟。]$/.test(current.text) && wordsInCurrent >= 4;
    if (!current || word.speaker !== current.speaker || gap > 1 || length > 12 || wordsInCurrent >= 40 || sentenceEnded) {
      if (current) phrases.push(current);
      current = { ...word };
      wordsInCurrent = 1;
      continue;
    }
    current.text = `${current.text} ${word.text}`;
    if (word.end !== undefined) current.end = word.end;
    wordsInCurrent++;
  }
  if (current) phrases.push(current);
  return phrases;
}

const SRT_TIME = /(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})\s*-->\s*(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})/;

function parseSrt(text: string): ParsedTranscript | undefined {
  if (!SRT_TIME.test(text)) return undefined;
  const segments: TranscriptSegment[] = [];
  for (const block of text.replace(/\r\n?/g, "\n").split(/\n\s*\n/)) {
    const lines = block.split("\n").map((line) => line.trim());
    const timeLine = lines.findIndex((line) => SRT_TIME.test(line));
    if (timeLine < 0) continue;
    const match = SRT_TIME.exec(lines[timeLine]!)!;
    const toSeconds = (h: string, m: string, s: string, ms: string) => Number(h) * 3600 + Number(m) * 60 + Number(s) + Number(ms.padEnd(3, "0")) / 1000;
    const body = lines.slice(timeLine + 1).filter(Boolean).join(" ");
    if (!body) continue;
    let speaker: string | undefined;
    let segmentText = body;
    const speakerMatch = /^\[?([A-Za-z_ ]*\d+|[A-Z][A-Za-z_]{0,20})\]?:\s+(.+)$/.exec(body);
    if (speakerMatch) {
      speaker = speakerMatch[1];
      segmentText = speakerMatch[2]!;
    }
    segments.push({
      start: toSeconds(match[1]!, match[2]!, match[3]!, match[4]!),
      end: toSeconds(match[5]!, match[6]!, match[7]!, match[8]!),
      text: segmentText,
      ...(speaker ? { speaker } : {}),
    });
  }
  if (segments.length === 0) return undefined;
  return {
    shape: "srt",
    text: normalizeSpaces(segments.map((segment) => segment.text).join(" ")),
    segments,
    durationSeconds: Math.max(...segments.map((segment) => segment.end ?? 0)),
  };
}

/** An unrecognized shape: keep its strings (depth-first) as text, else its JSON. */
function rawFallback(value: unknown): ParsedTranscript {
  const strings: string[] = [];
  let size = 0;
  const visit = (node: unknown, depth: number) => {
    if (size > MAX_RAW_CHARS || depth > 8) return;
    if (typeof node === "string") {
      if (node.trim()) {
        strings.push(node.trim());
        size += node.length;
      }
    } else if (Array.isArray(node)) node.forEach((child) => visit(child, depth + 1));
    else if (node && typeof node === "object") Object.values(node).forEach((child) => visit(child, depth + 1));
  };
  visit(value, 0);
  const text = strings.length > 0 ? strings.join("\n") : safeStringify(value);
  return { shape: text ? "raw" : "empty", text: text.slice(0, MAX_RAW_CHARS), segments: [] };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

function firstString(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  return undefined;
}

function numberAsString(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === "number" && Number.isFinite(value)) return `speaker ${value}`;
  }
  return undefined;
}

function firstNumber(record: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === "number" && Number.isFinite(value)) return value;
    if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  }
  return undefined;
}

/** Seconds from a number, a numeric string or "hh:mm:ss(.|,)mmm". */
function firstTime(record: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = record[key];
    const seconds = parseTimeValue(value);
    if (seconds !== undefined) return seconds;
  }
  return undefined;
}

export function parseTimeValue(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (Number.isFinite(Number(trimmed))) return Math.max(0, Number(trimmed));
  const clock = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$/.exec(trimmed);
  if (!clock) return undefined;
  return Number(clock[1] ?? 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3]!.replace(",", "."));
}

function normalizeSpaces(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

// Shared formatting for condensed views: times as m:ss.s, scores with 2 decimals (DESIGN §6).

/** 83.44 → "1:23.4"; 3723.0 → "1:02:03.0". Negative or non-finite input prints "?". */
export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const tenths = Math.round(seconds * 10);
  const hours = Math.floor(tenths / 36_000);
  const minutes = Math.floor((tenths % 36_000) / 600);
  const secondsPart = ((tenths % 600) / 10).toFixed(1).padStart(4, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${secondsPart}` : `${minutes}:${secondsPart}`;
}

/** "1:23.4–1:30.0" */
export function formatSpan(startSeconds: number, endSeconds: number): string {
  return `${formatTime(startSeconds)}–${formatTime(endSeconds)}`;
}

export function formatScore(score: number): string {
  return Number.isFinite(score) ? score.toFixed(2) : "?";
}

/** 0.4231 → "42.3%" */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : "?";
}

/** 12345 → "12,345" */
export function formatCount(count: number): string {
  return count.toLocaleString("en-US");
}

/** Duration in words for summaries: 75.2 → "1:15.2". */
export const formatDuration = formatTime;

/** Whether [start, end] overlaps the query window [from, to] (either bound optional). */
export function overlapsWindow(start: number, end: number, from?: number, to?: number): boolean {
  if (from !== undefined && end < from) return false;
  if (to !== undefined && start > to) return false;
  return true;
}

/** Describes the active window for notes: "window 1:00.0–2:00.0". */
export function describeWindow(from?: number, to?: number): string | undefined {
  if (from === undefined && to === undefined) return undefined;
  return `window ${from === undefined ? "start" : formatTime(from)}–${to === undefined ? "end" : formatTime(to)}`;
}

/**
 * Vendor text that reaches the model is data, not instructions: one line, control characters
 * removed, length capped.
 */
export function sanitizeVendorText(text: string, maxChars = 200): string {
  const oneLine = text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return oneLine.length > maxChars ? oneLine.slice(0, maxChars - 1) + "…" : oneLine;
}

/**
 * Top-k by score, ties broken by name (DESIGN §6), so summaries are stable across runs.
 */
export function topK<T extends { name: string; score: number }>(items: Iterable<T>, k: number): T[] {
  return [...items].sort((a, b) => b.score - a.score || a.name.localeCompare(b.name)).slice(0, Math.max(0, k));
}

/**
 * Characters that must never reach a reader raw: C0 controls, DEL, C1 controls (a terminal
 * acts on ESC sequences) and the bidi controls that reorder what is shown (U+202E makes
 * "evil\u202Evaw.exe" read as "evilexe.wav"). Newline is separate: our own line breaks.
 */
const UNSAFE_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_CHARACTERS_AND_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeCharacter = (character: string) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * Shows unsafe characters as visible \uXXXX escapes. A value we echo (label, file name, URL)
 * escapes newlines too, so it cannot start a line of its own; a whole text keeps its line breaks.
 */
export function escapeForDisplay(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(options.keepNewlines ? UNSAFE_CHARACTERS : UNSAFE_CHARACTERS_AND_NEWLINE, escapeCharacter);
}

/** Every string inside a JSON-like value escaped (structured results: no line structure to keep). */
export function escapeStringsForDisplay<T>(value: T): T {
  if (typeof value === "string") return escapeForDisplay(value) as T;
  if (Array.isArray(value)) return value.map((item) => escapeStringsForDisplay(item)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, escapeStringsForDisplay(item)])) as T;
  }
  return value;
}

/**
 * JSON text with DEL, C1 and bidi controls written as JSON escapes: the same data once parsed
 * (they can only occur inside strings), but never raw on the wire or in a reader's view.
 */
export function escapeJsonText(json: string): string {
  // C0 characters are escaped inside JSON strings already; outside them they are whitespace.
  return json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, escapeCharacter);
}

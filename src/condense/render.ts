// Turns a CondensedView into a tool result that never exceeds its token budget (DESIGN §6):
// tokens = ceil(serialized size of the whole result (text + structuredContent) / 4).
// The summary always comes first; detail rows fill what is left; the rest is reachable by
// cursor, and the footer says exactly how.

import { createHash } from "node:crypto";
import { UserInputError } from "../errors.js";
import type { CondensedView, PredictionQuery } from "./view.js";

export const DEFAULT_MAX_TOKENS = 1_500;
export const MAX_MAX_TOKENS = 8_000;
export const MIN_MAX_TOKENS = 200;
const SUMMARY_CUT = "… (summary cut to fit max_tokens; raise max_tokens to see all of it)";

export interface RenderRequest {
  jobId: string;
  status: string;
  /** One or two lines about the job from the core (provider, task, status). */
  header: string[];
  view: CondensedView;
  query: PredictionQuery;
  maxTokens: number;
  cursor?: string;
  resultUri: string;
  resultDescription?: string;
}

export interface RenderedResult {
  [key: string]: unknown;
  content: Array<
    | { type: "text"; text: string }
    | { type: "resource_link"; uri: string; name: string; mimeType: string; description?: string }
  >;
  structuredContent: {
    job_id: string;
    status: string;
    rows_shown: number;
    rows_total: number;
    first_row: number;
    next_cursor: string | null;
    result_uri: string;
    figures?: Record<string, unknown>;
  };
}

interface FlatRow {
  section: number;
  text: string;
}

export function tokensOf(result: unknown): number {
  return Math.ceil(JSON.stringify(result).length / 4);
}

/** Which query a cursor belongs to: a cursor replayed with other filters is refused. */
export function queryFingerprint(jobId: string, query: PredictionQuery): string {
  const { top_k, ...rest } = query;
  const stable = JSON.stringify({ jobId, top_k, ...Object.fromEntries(Object.entries(rest).sort()) });
  return createHash("sha256").update(stable).digest("base64url").slice(0, 10);
}

export function encodePredictionCursor(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString("base64url");
}

export function decodePredictionCursor(cursor: string, fingerprint: string): number {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = undefined;
  }
  const value = decoded as { o?: unknown; f?: unknown } | undefined;
  if (!value || typeof value.o !== "number" || !Number.isInteger(value.o) || value.o < 0 || typeof value.f !== "string") {
    throw new UserInputError("cursor is not one this server issued; pass the next_cursor of a previous get_predictions answer, or omit it");
  }
  if (value.f !== fingerprint) {
    throw new UserInputError(
      "cursor belongs to a different query: repeat the same job_id, view and filters it was issued with, or omit cursor to start over",
    );
  }
  return value.o;
}

export function renderWithinBudget(request: RenderRequest): RenderedResult {
  const fingerprint = queryFingerprint(request.jobId, request.query);
  const offset = request.cursor ? decodePredictionCursor(request.cursor, fingerprint) : 0;
  const rows: FlatRow[] = [];
  request.view.sections.forEach((section, index) => {
    for (const text of section.rows) rows.push({ section: index, text });
  });
  if (offset > rows.length) {
    throw new UserInputError(`cursor points past the end (${rows.length} rows); omit cursor to start over`);
  }
  const budgetChars = request.maxTokens * 4;

  // The summary is the point of the answer; it is shown whole whenever it fits, and on later
  // pages it is replaced by a one-line reminder so paging spends the budget on new rows.
  const summaryLines =
    offset === 0
      ? [...request.view.summary]
      : [`(page starting at row ${offset + 1}; the summary is on the first page)`];
  const notes = [...(request.view.notes ?? [])];

  const build = (shown: number, summary: string[], noteLines: string[]): RenderedResult => {
    const end = offset + shown;
    const lines: string[] = [...request.header, ...request.view.about];
    if (summary.length > 0) lines.push("", "Summary:", ...summary);
    let lastSection = -1;
    for (let index = offset; index < end; index++) {
      const row = rows[index]!;
      if (row.section !== lastSection) {
        const heading = request.view.sections[row.section]!.heading;
        lines.push("", index > 0 && rows[index - 1]?.section === row.section ? `${heading} (continued):` : `${heading}:`);
        lastSection = row.section;
      }
      lines.push(row.text);
    }
    const remaining = rows.length - end;
    const nextCursor = remaining > 0 ? encodePredictionCursor(end, fingerprint) : null;
    if (noteLines.length > 0) lines.push("", "Notes:", ...noteLines.map((note) => `- ${note}`));
    if (rows.length > 0) {
      lines.push(
        "",
        remaining > 0
          ? `Showing rows ${shown > 0 ? `${offset + 1}–${end}` : "none"} of ${rows.length}. For more, call get_predictions again with the same arguments and cursor "${nextCursor}", or narrow with filters (start_s/end_s, speaker, file…), or raise max_tokens (≤ ${MAX_MAX_TOKENS}).`
          : `Showing rows ${offset + 1}–${end} of ${rows.length} (all).`,
      );
    }
    return {
      content: [
        { type: "text", text: lines.join("\n") },
        {
          type: "resource_link",
          uri: request.resultUri,
          name: `${request.jobId} result`,
          mimeType: "application/json",
          ...(request.resultDescription ? { description: request.resultDescription } : {}),
        },
      ],
      structuredContent: {
        job_id: request.jobId,
        status: request.status,
        rows_shown: shown,
        rows_total: rows.length,
        first_row: shown > 0 ? offset + 1 : 0,
        next_cursor: nextCursor,
        result_uri: request.resultUri,
        ...(request.view.figures ? { figures: request.view.figures } : {}),
      },
    };
  };

  // 1. Make the fixed part fit: drop figures, then notes, then summary lines from the end.
  let figuresDropped = false;
  let candidate = build(0, summaryLines, notes);
  while (JSON.stringify(candidate).length > budgetChars) {
    if (!figuresDropped && request.view.figures) {
      figuresDropped = true;
      delete candidate.structuredContent.figures;
      request = { ...request, view: { ...request.view, figures: undefined } };
    } else if (notes.length > 0) notes.pop();
    else if (summaryLines.length > 1) {
      if (summaryLines.at(-1) === SUMMARY_CUT) summaryLines.splice(summaryLines.length - 2, 1);
      else summaryLines.splice(summaryLines.length - 1, 1, SUMMARY_CUT);
    } else break;
    candidate = build(0, summaryLines, notes);
  }

  if (JSON.stringify(candidate).length > budgetChars) {
    // Only a budget far below MIN_MAX_TOKENS gets here; cut the text rather than overflow.
    const overflow = JSON.stringify(candidate).length - budgetChars;
    const text = candidate.content[0] as { type: "text"; text: string };
    text.text = text.text.slice(0, Math.max(0, text.text.length - overflow - 16)) + "…";
    return candidate;
  }

  // 2. Add rows while they fit. Estimate each row's cost, then verify by serializing.
  let used = JSON.stringify(candidate).length;
  const cursorReserve = 160;
  let shown = 0;
  let lastSection = -1;
  while (offset + shown < rows.length) {
    const row = rows[offset + shown]!;
    let cost = JSON.stringify(row.text).length;
    if (row.section !== lastSection) cost += JSON.stringify(request.view.sections[row.section]!.heading).length + 16;
    if (used + cost + cursorReserve > budgetChars) break;
    used += cost;
    lastSection = row.section;
    shown++;
  }
  let result = build(shown, summaryLines, notes);
  while (shown > 0 && JSON.stringify(result).length > budgetChars) {
    shown--;
    result = build(shown, summaryLines, notes);
  }
  return result;
}

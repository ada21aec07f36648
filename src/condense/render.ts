// Turns a CondensedView into a tool result that never exceeds its token budget (DESIGN §6):
// tokens = ceil(UTF-8 bytes of the whole serialized result (text + structuredContent) / 4).
// The summary always comes first; detail rows fill what is left; the rest is reachable by
// cursor, and the footer says exactly how. Every page moves forward (DESIGN §6.5): it shows at
// least one row, or it is the first page and shows the summary, or it says the budget is too
// small and names the smallest max_tokens that is enough.

import { createHash } from "node:crypto";
import { UserInputError } from "../errors.js";
import { escapeForDisplay, escapeStringsForDisplay } from "./format.js";
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
  /** Text only: a resource_link item becomes a URL "file" block in LangChain's MCP adapters,
   * which the OpenAI and Anthropic chat classes refuse; the result's URI is in the text. */
  content: Array<{ type: "text"; text: string }>;
  structuredContent: {
    job_id: string;
    status: string;
    rows_shown: number;
    rows_total: number;
    first_row: number;
    /** Absent on the last page. */
    next_cursor?: string;
    result_uri: string;
    /** Set when not even one row fits: the smallest max_tokens that shows the next row. */
    needs_max_tokens?: number;
    figures?: Record<string, unknown>;
  };
}

interface FlatRow {
  section: number;
  text: string;
}

/** What a page carries besides its rows; pages shrink it step by step to make room. */
interface FixedPart {
  /** The job's header line(s), or only its id (a long label must not crowd out every row). */
  fullHeader: boolean;
  about: boolean;
  summary: string[];
  notes: string[];
  figures: boolean;
  /** The short footer, for the leanest continuation pages. */
  terseFooter: boolean;
  /** Section headings above the rows (the leanest pages leave them to the first page). */
  headings?: false;
}

/** UTF-8 bytes of the serialized value: what a model's tokenizer actually reads. */
export function serializedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

export function tokensOf(result: unknown): number {
  return Math.ceil(serializedBytes(result) / 4);
}

/** Which query a cursor belongs to: a cursor replayed with other filters is refused. */
export function queryFingerprint(jobId: string, query: PredictionQuery): string {
  const { top_k, ...rest } = query;
  const stable = JSON.stringify({ jobId, top_k, ...Object.fromEntries(Object.entries(rest).sort()) });
  return createHash("sha256").update(stable).digest("base64url").slice(0, 10);
}

/** "p<row offset>.<query fingerprint>": short, because a cursor is paid for twice on every page. */
export function encodePredictionCursor(offset: number, fingerprint: string): string {
  return `p${offset}.${fingerprint}`;
}

export function decodePredictionCursor(cursor: string, fingerprint: string): number {
  const value = /^p(\d{1,9})\.([A-Za-z0-9_-]{10})$/.exec(cursor);
  if (!value) {
    throw new UserInputError("cursor is not one this server issued; pass the next_cursor of a previous get_predictions answer, or omit it");
  }
  if (value[2] !== fingerprint) {
    throw new UserInputError(
      "cursor belongs to a different query: repeat the same job_id, view and filters it was issued with, or omit cursor to start over",
    );
  }
  return Number(value[1]);
}

export function renderWithinBudget(request: RenderRequest): RenderedResult {
  const fingerprint = queryFingerprint(request.jobId, request.query);
  // The first page (no cursor) carries the summary; a cursor always continues with rows, so a
  // first page that had room for the summary only hands out a cursor to row 1, not to itself.
  const firstPage = request.cursor === undefined;
  const offset = firstPage ? 0 : decodePredictionCursor(request.cursor!, fingerprint);
  const rows: FlatRow[] = [];
  request.view.sections.forEach((section, index) => {
    for (const text of section.rows) rows.push({ section: index, text });
  });
  if (offset > rows.length || (!firstPage && offset === rows.length && rows.length > 0)) {
    throw new UserInputError(`cursor points past the end (${rows.length} rows); omit cursor to start over`);
  }
  const budgetBytes = request.maxTokens * 4;
  const fits = (result: RenderedResult) => serializedBytes(result) <= budgetBytes;
  const reminder = `(page starting at row ${offset + 1}; the summary is on the first page, without cursor)`;

  const build = (shown: number, fixed: FixedPart, tooSmall?: number): RenderedResult => {
    const end = offset + shown;
    const lines: string[] = fixed.fullHeader ? [...request.header] : [request.jobId];
    if (fixed.about) lines.push(...request.view.about);
    if (fixed.summary.length > 0) lines.push("", ...(firstPage ? ["Summary:"] : []), ...fixed.summary);
    let lastSection = -1;
    for (let index = offset; index < end; index++) {
      const row = rows[index]!;
      if (row.section !== lastSection) {
        const heading = request.view.sections[row.section]!.heading;
        if (fixed.headings === false) lines.push("");
        else lines.push("", index > 0 && rows[index - 1]?.section === row.section ? `${heading} (continued):` : `${heading}:`);
        lastSection = row.section;
      }
      lines.push(row.text);
    }
    const remaining = rows.length - end;
    const nextCursor = remaining > 0 && tooSmall === undefined ? encodePredictionCursor(end, fingerprint) : null;
    if (fixed.notes.length > 0) lines.push("", "Notes:", ...fixed.notes.map((note) => `- ${note}`));
    if (tooSmall !== undefined) {
      lines.push(
        "",
        `max_tokens ${request.maxTokens} is too small to show row ${offset + 1} of ${rows.length}; the smallest max_tokens that is enough is ${tooSmall}. Call get_predictions again with the same arguments${firstPage ? "" : ` and cursor "${request.cursor}"`} and max_tokens ≥ ${tooSmall}.`,
      );
    } else if (rows.length > 0 && shown === 0) {
      lines.push(
        "",
        `Summary only: none of the ${rows.length} detail rows fit in max_tokens ${request.maxTokens} beside it. For the rows, call get_predictions again with the same arguments and cursor "${nextCursor}", or raise max_tokens (≤ ${MAX_MAX_TOKENS}).`,
      );
    } else if (rows.length > 0) {
      const span = `${offset + 1}–${end} of ${rows.length}`;
      lines.push(
        "",
        remaining === 0
          ? `Showing rows ${span}${offset === 0 ? " (all)" : " (the last)"}.`
          : fixed.terseFooter
            ? `Rows ${span}. Next: same arguments, cursor "${nextCursor}".`
            : `Showing rows ${span}. For more, call get_predictions again with the same arguments and cursor "${nextCursor}", or narrow with filters (start_s/end_s, speaker, file…), or raise max_tokens (≤ ${MAX_MAX_TOKENS}).`,
      );
    }
    if (!fixed.terseFooter) lines.push(`Full result: resource ${request.resultUri}${request.resultDescription ? ` (${request.resultDescription})` : ""}`);
    return {
      content: [
        // Escaped before it is measured: what is counted is what is sent.
        { type: "text", text: escapeForDisplay(lines.join("\n"), { keepNewlines: true }) },
      ],
      structuredContent: {
        job_id: request.jobId,
        status: request.status,
        rows_shown: shown,
        rows_total: rows.length,
        first_row: shown > 0 ? offset + 1 : 0,
        ...(nextCursor ? { next_cursor: nextCursor } : {}),
        result_uri: request.resultUri,
        ...(tooSmall !== undefined ? { needs_max_tokens: tooSmall } : {}),
        ...(fixed.figures && request.view.figures ? { figures: escapeStringsForDisplay(request.view.figures) } : {}),
      },
    };
  };

  /** Adds rows after a fixed part while they fit: estimated per row, then verified whole. */
  const fillRows = (fixed: FixedPart): { shown: number; result: RenderedResult } => {
    let result = build(0, fixed);
    let used = serializedBytes(result);
    // Room for the cursor and the longer footer that appear once a row is shown.
    const footerReserve = 300;
    let shown = 0;
    let lastSection = -1;
    while (offset + shown < rows.length) {
      const row = rows[offset + shown]!;
      let cost = serializedBytes(row.text);
      if (row.section !== lastSection) cost += serializedBytes(request.view.sections[row.section]!.heading) + 16;
      if (used + cost + footerReserve > budgetBytes) break;
      used += cost;
      lastSection = row.section;
      shown++;
    }
    // The estimate leaves a reserve; take the rows it held back while the whole still fits.
    while (offset + shown < rows.length) {
      const more = build(shown + 1, fixed);
      if (!fits(more)) break;
      shown++;
      result = more;
    }
    result = build(shown, fixed);
    while (shown > 0 && !fits(result)) {
      shown--;
      result = build(shown, fixed);
    }
    return { shown, result };
  };

  if (firstPage) {
    // 1. Make the fixed part fit: drop figures, then notes, then summary lines from the end.
    const fixed: FixedPart = { fullHeader: true, about: true, summary: [...request.view.summary], notes: [...(request.view.notes ?? [])], figures: true, terseFooter: false };
    while (!fits(build(0, fixed))) {
      if (fixed.figures && request.view.figures) fixed.figures = false;
      else if (fixed.notes.length > 0) fixed.notes.pop();
      else if (fixed.summary.length > 1) {
        if (fixed.summary.at(-1) === SUMMARY_CUT) fixed.summary.splice(fixed.summary.length - 2, 1);
        else fixed.summary.splice(fixed.summary.length - 1, 1, SUMMARY_CUT);
      } else break;
    }
    const candidate = build(0, fixed);
    if (!fits(candidate)) return cutToBudget(candidate, budgetBytes);
    // 2. Rows fill what is left; none at all is still progress: the cursor leads to row 1.
    return fillRows(fixed).result;
  }

  // A continuation page gives up its extras, leanest last, until at least one row fits.
  const notes = request.view.notes ?? [];
  const ladder: FixedPart[] = [
    { fullHeader: true, about: true, summary: [reminder], notes: [...notes], figures: false, terseFooter: false },
    { fullHeader: true, about: true, summary: [reminder], notes: [], figures: false, terseFooter: false },
    { fullHeader: true, about: false, summary: [reminder], notes: [], figures: false, terseFooter: false },
    { fullHeader: true, about: false, summary: [], notes: [], figures: false, terseFooter: false },
    { fullHeader: false, about: false, summary: [], notes: [], figures: false, terseFooter: false },
    { fullHeader: false, about: false, summary: [], notes: [], figures: false, terseFooter: true },
    { fullHeader: false, about: false, summary: [], notes: [], figures: false, terseFooter: true, headings: false },
  ];
  for (const fixed of ladder) {
    if (!fits(build(1, fixed))) continue;
    return fillRows(fixed).result;
  }
  // Not even one row fits: say so, with the budget that would show it.
  const leanest = ladder.at(-1)!;
  const needed = tokensOf(build(1, leanest));
  const refusal = needed <= MAX_MAX_TOKENS ? build(0, leanest, needed) : skipOversizedRow(build(0, leanest), offset, rows.length, fingerprint, request.resultUri);
  return fits(refusal) ? refusal : cutToBudget(refusal, budgetBytes);
}

/** A row no budget can hold (condensers cap rows, so this is a guard): skip it, say where it is. */
function skipOversizedRow(page: RenderedResult, offset: number, total: number, fingerprint: string, resultUri: string): RenderedResult {
  const nextCursor = offset + 1 < total ? encodePredictionCursor(offset + 1, fingerprint) : null;
  const text = page.content[0] as { type: "text"; text: string };
  text.text += `\n\nRow ${offset + 1} of ${total} is longer than the largest max_tokens (${MAX_MAX_TOKENS}) holds; it is in the full result (${resultUri}).${nextCursor ? ` The next rows: same arguments, cursor "${nextCursor}".` : ""}`;
  if (nextCursor) page.structuredContent.next_cursor = nextCursor;
  else delete page.structuredContent.next_cursor;
  return page;
}

/** Last resort for budgets far below MIN_MAX_TOKENS: cut the text rather than overflow. */
function cutToBudget(result: RenderedResult, budgetBytes: number): RenderedResult {
  const text = result.content[0] as { type: "text"; text: string };
  while (serializedBytes(result) > budgetBytes && text.text.length > 1) {
    const overflow = serializedBytes(result) - budgetBytes;
    text.text = text.text.slice(0, Math.max(0, text.text.length - 1 - Math.max(1, Math.ceil(overflow / 3)))) + "…";
  }
  return result;
}

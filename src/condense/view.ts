// What a condenser returns, and what get_predictions asks of it. The shared renderer
// (condense/render.ts) turns a CondensedView into a tool result within the token budget.

export interface PredictionQuery {
  view?: string;
  file?: string;
  model?: string;
  speaker?: string;
  start_s?: number;
  end_s?: number;
  top_k: number;
  /** Text search within a transcript. */
  query?: string;
  /** Provenance filters. */
  verdict?: string;
  origin?: string;
}

export interface DetailSection {
  /** e.g. "Timeline (merged turns)", "Face group 2 — frames". Repeated when paging resumes. */
  heading: string;
  /** One compact line each, in reading order (time order for timelines). */
  rows: string[];
}

export interface CondensedView {
  /** What the job was: task, inputs, duration. One or two lines. */
  about: string[];
  /** Computed facts first (DESIGN §6). Always shown; trimmed only if the budget is tiny. */
  summary: string[];
  /** Details, paged by the renderer with a cursor. */
  sections: DetailSection[];
  /** Caveats: filters applied, per-file errors, low reliability, what other views exist. */
  notes?: string[];
  /** Small machine-readable summary figures for structuredContent. Keep it compact. */
  figures?: Record<string, unknown>;
}

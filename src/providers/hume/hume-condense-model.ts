// What each Hume model condenser receives and returns; hume-condense.ts assembles the view.

import type { DetailSection } from "../../condense/view.js";

export const HUME_VIEWS = ["summary", "timeline", "arc"] as const;
export type HumeView = (typeof HUME_VIEWS)[number];

export interface ModelContext {
  /** Prefix for section headings: "file 2: talk.mp4" (empty for a one-file job). */
  fileHeading: string;
  topK: number;
  from?: number;
  to?: number;
  /** Group id (speaker or face) to keep, lower-cased; undefined = all. */
  speaker?: string;
  view: HumeView;
  /** Face frame step from the job's fps_pred, when known. */
  frameStepS?: number;
  /** Language granularity the job asked for, when known. */
  languageGranularity?: string;
}

export interface ModelView {
  /** Computed facts, first line names the model; sub-lines start with two spaces. */
  summary: string[];
  sections: DetailSection[];
  figures: Record<string, unknown>;
  notes: string[];
  /** Latest time seen (seconds), for the "media up to …" line. */
  endS?: number;
}

export function heading(context: ModelContext, rest: string): string {
  return context.fileHeading ? `${context.fileHeading} — ${rest}` : rest;
}

export function keepGroup(context: ModelContext, id: string): boolean {
  return context.speaker === undefined || id.toLowerCase() === context.speaker;
}

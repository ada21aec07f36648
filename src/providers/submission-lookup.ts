// Shared by adapters that look for an interrupted submission's job in a vendor's job list:
// which listed jobs can be it, and what to conclude from them.

import type { JobSnapshot } from "../jobs/job.js";
import type { InterruptedSubmission, SubmissionLookup } from "./provider.js";

/** Pages of a vendor's job list read at most while looking for one submission. */
export const SUBMISSION_LOOKUP_MAX_PAGES = 10;

/**
 * Whether a listed job was created when the submission can have created it. A job with no
 * creation time cannot be ruled out.
 */
export function createdInWindow(createdAt: string | number | null | undefined, submission: InterruptedSubmission): boolean {
  if (createdAt === null || createdAt === undefined) return true;
  const at = typeof createdAt === "number" ? createdAt : Date.parse(createdAt);
  if (Number.isNaN(at)) return true;
  return at >= submission.window.from.getTime() && at <= submission.window.to.getTime();
}

/**
 * One candidate is the submission's job; none means the vendor created nothing; several cannot
 * be told apart, so nothing is adopted and the reason names them.
 */
export function lookupFromCandidates(vendorName: string, provider: string, candidates: JobSnapshot[], matchedBy: string): SubmissionLookup {
  if (candidates.length === 1) return { kind: "found", snapshot: candidates[0]! };
  if (candidates.length === 0) return { kind: "absent" };
  const shown = candidates.slice(0, 5).map((candidate) => `${provider}:${candidate.nativeId}`);
  return {
    kind: "unknowable",
    reason: `${candidates.length} ${vendorName} jobs match it by ${matchedBy} (${shown.join(", ")}${candidates.length > shown.length ? ", …" : ""}); get_job shows each`,
  };
}

/** The lookup when the vendor's list ran past the pages we read before reaching the submission's time. */
export function tooManyToSearch(vendorName: string): SubmissionLookup {
  return {
    kind: "unknowable",
    reason: `${vendorName} lists too many jobs since then to look through; list_jobs with remote: true and a created_after/created_before around that time shows them`,
  };
}

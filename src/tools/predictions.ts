// get_predictions' core, shared with start_job/get_job when they return finished results.

import { escapeForDisplay } from "../condense/format.js";
import { DEFAULT_MAX_TOKENS, renderWithinBudget, type RenderedResult } from "../condense/render.js";
import type { PredictionQuery } from "../condense/view.js";
import type { AppContext } from "../context.js";
import { UserInputError } from "../errors.js";
import type { Job } from "../jobs/job.js";
import type { TaskInfo } from "../providers/provider.js";
import { describeChunking, RESULT_CHUNK_BYTES } from "../resources/result-chunks.js";
import { resultUri } from "../resources/uris.js";
import { describeProgress } from "./job-view.js";

export function assertResultsReady(job: Job): void {
  if (job.status === "queued" || job.status === "running") {
    const progress = describeProgress(job.progress);
    throw new UserInputError(
      `job ${job.id} is still ${job.status}${progress ? ` (${progress})` : ""}; call get_job with job_id "${job.id}" and wait_seconds (≤ 50) until it succeeds, then get_predictions`,
    );
  }
  if (job.status === "failed") {
    throw new UserInputError(`job ${job.id} failed${job.error ? `: ${job.error.message}` : ""}; it has no predictions. Fix the input or options and start a new job`);
  }
  if (job.status === "canceled") throw new UserInputError(`job ${job.id} was canceled; it has no predictions`);
  if (job.resultState === "fetch_failed") {
    throw new UserInputError(
      `job ${job.id} succeeded but its results could not be fetched (${job.warnings?.at(-1) ?? "the vendor no longer has them"}); start the job again`,
    );
  }
  if (job.resultState !== "stored") {
    throw new UserInputError(`job ${job.id} succeeded and its results are being fetched; call get_job with wait_seconds, then get_predictions`);
  }
}

/** The get_predictions arguments that narrow a result; which ones apply depends on the task. */
export const FILTER_ARGUMENTS = ["file", "model", "speaker", "start_s", "end_s", "top_k", "query", "verdict", "origin"] as const;
export type FilterArgument = (typeof FILTER_ARGUMENTS)[number];

/** The filter names a task declares: the leading names of its `filters` entries ("start_s/end_s", "query (…)"). */
export function acceptedFilters(info: TaskInfo): FilterArgument[] {
  return info.filters
    .flatMap((entry) => (/^[a-z_]+(?:\/[a-z_]+)*/.exec(entry.trim())?.[0] ?? "").split("/"))
    .filter((name): name is FilterArgument => (FILTER_ARGUMENTS as readonly string[]).includes(name));
}

/**
 * Refuses filters the job's task does not apply: an answer that silently ignored `speaker`
 * reads as if it were filtered. The message names the filters (and views) this job takes.
 */
export function refuseUnusedFilters(app: AppContext, job: Job, given: Partial<Record<FilterArgument, unknown>>): void {
  const info = app.providers.require(job.provider).describe().tasks.find((task) => task.task === job.task);
  if (!info) return;
  const accepted = acceptedFilters(info);
  const unused = FILTER_ARGUMENTS.filter((name) => given[name] !== undefined && !accepted.includes(name));
  if (unused.length === 0) return;
  throw new UserInputError(
    `${job.provider} ${job.task} results cannot be narrowed by ${unused.join(", ")}; ` +
      (accepted.length > 0 ? `this job accepts: ${accepted.join(", ")}` : "this job accepts no filters") +
      `${info.views.length > 1 ? ` (views: ${info.views.join(", ")})` : ""}. Call get_predictions again without ${unused.length === 1 ? "it" : "them"}`,
  );
}

export async function renderPredictions(
  app: AppContext,
  job: Job,
  query: PredictionQuery,
  options: { maxTokens?: number; cursor?: string } = {},
): Promise<RenderedResult> {
  assertResultsReady(job);
  const stored = await app.store.getResultIndex(job.id);
  if (!stored) throw new UserInputError(`job ${job.id} has no stored results; start the job again`);
  const adapter = app.providers.require(job.provider);
  const info = adapter.describe().tasks.find((task) => task.task === job.task);
  if (query.view && info && !info.views.includes(query.view)) {
    throw new UserInputError(`view "${query.view}" does not exist for ${job.provider} ${job.task}; use one of: ${info.views.join(", ")}`);
  }
  const view = adapter.condense({ job, index: stored.index, query });
  // A large full result is read in chunks; the answer says so where it links it.
  const resultBytes = (await app.store.listResultParts(job.id)).reduce((total, part) => total + part.bytes, 0);
  if (resultBytes > RESULT_CHUNK_BYTES) {
    view.notes = [...(view.notes ?? []), `full result: ${resultUri(job.id)} (${describeChunking(resultBytes)}; reading it lists the chunk URIs)`];
  }
  return renderWithinBudget({
    jobId: job.id,
    status: job.status,
    header: [`${job.id} — ${job.task} by ${adapter.describe().name}${job.label ? ` — "${escapeForDisplay(job.label)}"` : ""}`],
    view,
    query,
    maxTokens: options.maxTokens ?? DEFAULT_MAX_TOKENS,
    cursor: options.cursor,
    resultUri: resultUri(job.id),
    resultDescription: stored.description,
  });
}

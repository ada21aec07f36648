// The minimal job shape tools and resources show: what the model needs, nothing more.

import { z } from "zod";
import { escapeForDisplay, formatCount, formatPercent } from "../condense/format.js";
import type { Job, JobInput } from "../jobs/job.js";

export const jobViewSchema = z.object({
  job_id: z.string(),
  provider: z.string(),
  task: z.string(),
  label: z.string().optional(),
  status: z.enum(["queued", "running", "succeeded", "failed", "canceled"]),
  provider_status: z.string().optional(),
  /** The first inputs (a catalog job can have thousands; inputs_total counts them all). */
  inputs: z.array(z.string()),
  inputs_total: z.number(),
  created_at: z.string(),
  started_at: z.string().optional(),
  ended_at: z.string().optional(),
  progress: z
    .object({ done: z.number(), total: z.number().optional(), unit: z.string().optional() })
    .optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  warnings: z.array(z.string()).optional(),
  results: z.enum(["pending", "stored", "unavailable"]),
  next_step: z.string(),
  /** Set when the stored record cannot be read: why. Nothing else about the job is known. */
  damaged: z.string().optional(),
});

export type JobView = z.infer<typeof jobViewSchema>;

/** What tools/list declares of a job view: the fields a program branches on (the rest of the
 * view is in structuredContent too, undeclared, to keep the listing small). */
export const listedJobSchema = z.object({ job_id: z.string(), status: z.string() });

/** One row of list_jobs: the view's identifying and status fields. */
export const jobSummarySchema = jobViewSchema.pick({
  job_id: true,
  provider: true,
  task: true,
  label: true,
  status: true,
  created_at: true,
  ended_at: true,
  progress: true,
  damaged: true,
});

export type JobSummary = z.infer<typeof jobSummarySchema>;

/** Inputs listed in a job view; the rest are counted, so a 10,000-track job stays small. */
const MAX_LISTED_INPUTS = 10;

export function describeJobInput(input: JobInput): string {
  // Names and URLs come from outside (a shared folder's file names, a catalog's ids): escaped
  // here, newlines included, so none can start a line of its own in a job's text.
  switch (input.kind) {
    case "url":
      return escapeForDisplay(input.url);
    case "path":
      return input.bytes !== undefined ? `${escapeForDisplay(input.name)} (${formatCount(input.bytes)} bytes)` : escapeForDisplay(input.name);
    case "text":
      return `text (${formatCount(input.chars)} chars): "${escapeForDisplay(input.preview)}${input.chars > input.preview.length ? "…" : ""}"`;
    case "id":
      return input.url ? `${escapeForDisplay(input.id)} ${escapeForDisplay(input.url)}` : escapeForDisplay(input.id);
  }
}

export function nextStepFor(job: Job): string {
  if (job.damaged) return "its stored record cannot be read, so it is set aside; start the job again if you need it (the data dir keeps the damaged row for inspection)";
  switch (job.status) {
    case "queued":
    case "running":
      return `call get_job with job_id "${job.id}" and wait_seconds (≤ 50) until it ends`;
    case "succeeded":
      if (job.resultState === "stored") return `call get_predictions with job_id "${job.id}"`;
      if (job.resultState === "fetch_failed") return "the vendor no longer serves this job's results; start the job again if you need them";
      return `results are being fetched; call get_job with job_id "${job.id}" and wait_seconds`;
    case "failed":
      return "the job failed; read error, fix the input or options, and start a new job";
    case "canceled":
      return "the job was canceled; start a new one if needed";
  }
}

export function toJobView(job: Job): JobView {
  return {
    job_id: job.id,
    provider: job.provider,
    task: job.task,
    ...(job.label ? { label: job.label } : {}),
    status: job.status,
    ...(job.providerStatus ? { provider_status: job.providerStatus } : {}),
    inputs: job.inputs.slice(0, MAX_LISTED_INPUTS).map(describeJobInput),
    inputs_total: job.inputs.length,
    created_at: job.createdAt,
    ...(job.startedAt ? { started_at: job.startedAt } : {}),
    ...(job.endedAt ? { ended_at: job.endedAt } : {}),
    ...(job.progress ? { progress: job.progress } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(job.warnings && job.warnings.length > 0 ? { warnings: job.warnings } : {}),
    results: job.resultState === "stored" ? "stored" : job.resultState === "fetch_failed" ? "unavailable" : "pending",
    next_step: nextStepFor(job),
    ...(job.damaged ? { damaged: job.damaged } : {}),
  };
}

/** Parsing with the picked schema keeps exactly the summary's fields. */
export function toJobSummary(job: Job): JobSummary {
  return jobSummarySchema.parse(toJobView(job));
}

export function describeProgress(progress: Job["progress"]): string | undefined {
  if (!progress) return undefined;
  const unit = progress.unit ? ` ${progress.unit}` : "";
  if (progress.total && progress.total > 0) {
    return `${formatCount(Math.round(progress.done))}/${formatCount(Math.round(progress.total))}${unit} (${formatPercent(progress.done / progress.total)})`;
  }
  return `${formatCount(Math.round(progress.done))}${unit}`;
}

/** The vendor's own word for the status, when it says more than ours ("queued (provider: queued)" does not). */
function providerWordIfNew(view: JobView): string {
  const word = view.provider_status?.trim();
  if (!word || word.toLowerCase() === view.status) return "";
  return ` (provider: ${word})`;
}

/** A few lines a person can read; the structured view carries the same facts. */
export function jobText(view: JobView): string {
  const lines = [`${view.job_id} — ${view.task} — ${view.status}${providerWordIfNew(view)}`];
  if (view.label) lines.push(`label: ${escapeForDisplay(view.label)}`);
  if (view.inputs.length > 0) {
    const shown = view.inputs.slice(0, 5).join(", ");
    lines.push(`inputs: ${shown}${view.inputs_total > 5 ? ` and ${view.inputs_total - 5} more` : ""}`);
  }
  const progress = describeProgress(view.progress);
  if (progress) lines.push(`progress: ${progress}`);
  lines.push(`created ${view.created_at}${view.ended_at ? `, ended ${view.ended_at}` : view.started_at ? `, started ${view.started_at}` : ""}`);
  if (view.error) lines.push(`error: ${escapeForDisplay(view.error.message)}`);
  for (const warning of view.warnings ?? []) lines.push(`warning: ${escapeForDisplay(warning)}`);
  lines.push(`next: ${view.next_step}`);
  return lines.join("\n");
}

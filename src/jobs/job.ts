// The normalized job model (DESIGN §3). Everything outside providers/<vendor>/ speaks this.

import { NotFoundError } from "../errors.js";

export const PROVIDER_IDS = ["local", "hume", "pyannote", "hamsa", "humanstandard"] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const TASK_IDS = [
  "acoustic",
  "expression",
  "audio_expression",
  "image_expression",
  "diarize",
  "voiceprint",
  "identify",
  "transcribe",
  "provenance",
] as const;
export type TaskId = (typeof TASK_IDS)[number];

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(["succeeded", "failed", "canceled"]);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** What a job was given, as stored. Never file bytes; a path is kept so a local job can resume. */
export type JobInput =
  | { kind: "url"; url: string }
  | { kind: "path"; path: string; name: string; bytes?: number }
  | { kind: "text"; chars: number; preview: string }
  | { kind: "id"; id: string; url?: string };

export interface JobProgress {
  done: number;
  total?: number;
  /** What `done`/`total` count: "seconds", "items", "files"… */
  unit?: string;
}

export interface JobError {
  code: string;
  message: string;
}

/** Whether the job's results are in our store (vendors delete theirs, e.g. pyannoteAI after 24 h). */
export type ResultState = "none" | "stored" | "fetch_failed";

export interface Job {
  /** `<provider>:<native id>` */
  id: string;
  provider: ProviderId;
  nativeId: string;
  task: TaskId;
  label?: string;
  status: JobStatus;
  /** The vendor's own word for the status, verbatim. */
  providerStatus?: string;
  inputs: JobInput[];
  options: Record<string, unknown>;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  updatedAt: string;
  progress?: JobProgress;
  error?: JobError;
  warnings?: string[];
  /** The authenticated principal in HTTP mode; undefined for stdio. */
  owner?: string;
  resultState: ResultState;
  /** Epoch ms of the next background refresh; undefined once terminal with results stored. */
  nextPollAt?: number;
  pollCount: number;
  /** Polls in a row that failed; reset by a successful one. */
  pollFailures?: number;
  /**
   * Set only on a stand-in for a stored record that could not be read (why it could not): such
   * a job is listed so it is not silently lost, and never refreshed or changed.
   */
  damaged?: string;
}

/** What an adapter reports about a job at one moment. */
export interface JobSnapshot {
  nativeId: string;
  status: JobStatus;
  providerStatus?: string;
  task?: TaskId;
  label?: string;
  createdAt?: string;
  startedAt?: string;
  endedAt?: string;
  progress?: JobProgress;
  error?: JobError;
  warnings?: string[];
  inputs?: JobInput[];
}

/**
 * Whether `viewer` may see the job. No viewer (stdio, loopback HTTP without a token): one person,
 * who has every job. A viewer (a static token's principal, an OAuth user) has only the jobs it
 * owns — not ownerless ones either, which a stdio session on the same data dir started.
 */
export function visibleTo(job: Job, viewer: string | undefined): boolean {
  return viewer === undefined || job.owner === viewer;
}

/**
 * The answer for a job id this server does not have — and, word for word, for another user's
 * job: whether an id exists is not disclosed to someone it does not belong to.
 */
export function noSuchJob(id: string): NotFoundError {
  return new NotFoundError(`no job ${id} here; list_jobs shows the jobs this server knows`);
}

export function jobId(provider: ProviderId, nativeId: string): string {
  return `${provider}:${nativeId}`;
}

export function parseJobId(id: string): { provider: ProviderId; nativeId: string } | undefined {
  const colon = id.indexOf(":");
  if (colon <= 0) return undefined;
  const provider = id.slice(0, colon);
  const nativeId = id.slice(colon + 1);
  if (!nativeId || !(PROVIDER_IDS as readonly string[]).includes(provider)) return undefined;
  return { provider: provider as ProviderId, nativeId };
}

/**
 * Applies a snapshot to a stored job. Terminal states never change: once a job has ended,
 * later snapshots may only add detail (progress, timestamps), never move its status.
 */
export function applySnapshot(job: Job, snapshot: JobSnapshot, now: Date): Job {
  if (isTerminal(job.status)) return job;
  const next: Job = {
    ...job,
    status: snapshot.status,
    providerStatus: snapshot.providerStatus ?? job.providerStatus,
    startedAt: job.startedAt ?? snapshot.startedAt,
    endedAt: snapshot.endedAt ?? job.endedAt,
    progress: snapshot.progress ?? job.progress,
    error: snapshot.error ?? job.error,
    warnings: snapshot.warnings ?? job.warnings,
    label: job.label ?? snapshot.label,
    updatedAt: now.toISOString(),
  };
  if (next.status === "running" && !next.startedAt) next.startedAt = now.toISOString();
  if (isTerminal(next.status) && !next.endedAt) next.endedAt = now.toISOString();
  return next;
}

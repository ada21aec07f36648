// The job store contract (DESIGN §7). SQLite is the embedded default; the same interface can be
// implemented on PostgreSQL for replicas. Synchronous on purpose: node:sqlite is synchronous,
// and a job row must be committed before start_job returns.

import type { Job, JobStatus, ProviderId, TaskId } from "../jobs/job.js";
import type { ReplayGuard, VoiceprintStore } from "../providers/provider.js";

export interface JobListFilter {
  provider?: ProviderId;
  task?: TaskId;
  statuses?: JobStatus[];
  owner?: string;
  /** ISO 8601 bounds on createdAt (inclusive after, exclusive before). */
  createdAfter?: string;
  createdBefore?: string;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  limit: number;
}

export interface JobListPage {
  jobs: Job[];
  nextCursor?: string;
}

export interface StoredPart {
  name: string;
  contentType: string;
  /** Uncompressed size in bytes. */
  bytes: number;
}

export interface IdempotencyRecord {
  key: string;
  owner: string;
  fingerprint: string;
  /** Undefined while the submission is in flight. */
  jobId?: string;
}

export interface JobStore {
  insertJob(job: Job): void;
  /** Replaces the stored job; refuses to move a terminal job to another status. */
  saveJob(job: Job): void;
  getJob(id: string): Job | undefined;
  listJobs(filter: JobListFilter): JobListPage;
  /**
   * Jobs still to refresh (non-terminal, or succeeded without stored results) whose next poll
   * time has come. Answered from an indexed column: the poller asks every tick.
   */
  listJobsDue(now: number): Job[];
  /** Job ids starting with `prefix`, for completion. */
  completeJobIds(prefix: string, limit: number): string[];

  /** Reserves a key; returns the existing record when the key was already taken. */
  reserveIdempotencyKey(record: Omit<IdempotencyRecord, "jobId">): IdempotencyRecord | undefined;
  completeIdempotencyKey(key: string, owner: string, jobId: string): void;
  releaseIdempotencyKey(key: string, owner: string): void;

  putResultPart(jobId: string, name: string, data: Uint8Array, contentType: string): void;
  appendResultPart(jobId: string, name: string, data: Uint8Array, contentType: string): void;
  getResultPart(jobId: string, name: string): (StoredPart & { data: Buffer }) | undefined;
  listResultParts(jobId: string): StoredPart[];
  putResultIndex(jobId: string, index: unknown, description?: string): void;
  getResultIndex(jobId: string): { index: unknown; description?: string } | undefined;

  voiceprints: VoiceprintStore;
  replayGuard: ReplayGuard;
  close(): void;
}

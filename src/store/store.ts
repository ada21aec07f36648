// The job store contract (DESIGN §7). SQLite is the embedded default; PostgreSQL serves several
// replicas on one database. Asynchronous because a PostgreSQL driver is: every call is a round
// trip to the database server. node:sqlite stays synchronous underneath, so its promises are
// settled when returned. A job row is still committed before start_job returns (awaited).

import type { Job, JobStatus, ProviderId, TaskId } from "../jobs/job.js";
import type { MediaInput, ReplayGuard, VoiceprintStore } from "../providers/provider.js";
import type { RateWindow } from "./rate-window.js";
import type { UploadStore } from "./upload-store.js";

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

/**
 * A start_job on its way to a vendor, committed before anything is sent: if the process dies
 * between the vendor's create call and the job row, this says what to look for afterwards.
 */
export interface SubmissionRecord {
  /** Also the Idempotency-Key sent to vendors that take one. */
  id: string;
  provider: ProviderId;
  task: TaskId;
  owner: string;
  idempotencyKey?: string;
  fingerprint: string;
  request: { media: MediaInput[]; options: Record<string, unknown>; label?: string; webhookUrl?: string };
  /** Epoch ms when it was recorded: the vendor cannot have created the job before. */
  createdAt: number;
  /** The process working on it (submitting, or looking it up afterwards) and until when that claim holds. */
  holder: string;
  heldUntil: number;
  /** Epoch ms the submitting process last showed it was working on it: nothing was sent after. */
  aliveAt: number;
}

/**
 * How a submission ended: its job (found at the vendor, or a failed record), or nothing to keep.
 * With `lease`, a job stored here is stored already leased to that holder, in the same step: no
 * other process can take (and start running) a job between its row and its lease.
 */
export type SubmissionOutcome = { job: Job; lease?: { holder: string; durationMs: number } } | { released: true };

export interface JobStore {
  insertJob(job: Job): Promise<void>;
  /** Replaces the stored job; refuses to move a terminal job to another status. */
  saveJob(job: Job): Promise<void>;
  getJob(id: string): Promise<Job | undefined>;
  listJobs(filter: JobListFilter): Promise<JobListPage>;
  /**
   * Jobs still to refresh (non-terminal, or succeeded without stored results) whose next poll
   * time has come. Answered from an indexed column: the poller asks every tick. With a
   * `leaseHolder`, only jobs free for it: unleased, its own, or with an expired lease.
   */
  listJobsDue(now: number, leaseHolder?: string): Promise<Job[]>;
  /**
   * Takes or renews the lease on a job for `durationMs`: true when it was free, expired or
   * already this holder's. One holder at a time polls or analyses a job, across processes.
   */
  claimJob(id: string, holder: string, durationMs: number): Promise<boolean>;
  /** Extends every lease this holder has on jobs still in progress; returns how many. */
  renewLeases(holder: string, durationMs: number): Promise<number>;
  /** Gives up every lease of this holder (clean shutdown): another process may take over at once. */
  releaseLeases(holder: string): Promise<void>;
  /** Makes a job due by `at` at the latest: a caller waiting in another process asks its holder for a look. */
  requestPoll(id: string, at: number): Promise<void>;
  /** Job ids starting with `prefix`, for completion; with an owner, only that owner's (as listJobs). */
  completeJobIds(prefix: string, limit: number, owner?: string): Promise<string[]>;

  /** Reserves a key; returns the existing record when the key was already taken. */
  reserveIdempotencyKey(record: Omit<IdempotencyRecord, "jobId">): Promise<IdempotencyRecord | undefined>;
  completeIdempotencyKey(key: string, owner: string, jobId: string): Promise<void>;
  /** The key's record, without reserving it. */
  findIdempotencyKey(key: string, owner: string): Promise<IdempotencyRecord | undefined>;
  releaseIdempotencyKey(key: string, owner: string): Promise<void>;

  /**
   * Records a submission (and reserves its idempotency key) in one transaction, before anything
   * is sent. Returns the key's existing record instead when the key was already taken.
   */
  beginSubmission(record: SubmissionRecord): Promise<IdempotencyRecord | undefined>;
  /** Extends the holder's claim; false when the submission is gone or held by another process. */
  renewSubmission(id: string, holder: string, heldUntil: number, aliveAt?: number): Promise<boolean>;
  findSubmission(idempotencyKey: string, owner: string): Promise<SubmissionRecord | undefined>;
  listSubmissions(): Promise<SubmissionRecord[]>;
  /** Takes over a submission when `canTake` agrees (checked inside the transaction). */
  claimSubmission(id: string, holder: string, heldUntil: number, canTake: (record: SubmissionRecord) => boolean): Promise<SubmissionRecord | undefined>;
  /**
   * Ends a submission: stores its job (unless a job with that id is already there) and binds its
   * key to it, or drops the record and releases the key. One transaction.
   */
  finishSubmission(id: string, outcome: SubmissionOutcome): Promise<void>;

  putResultPart(jobId: string, name: string, data: Uint8Array, contentType: string): Promise<void>;
  appendResultPart(jobId: string, name: string, data: Uint8Array, contentType: string): Promise<void>;
  getResultPart(jobId: string, name: string): Promise<(StoredPart & { data: Buffer }) | undefined>;
  listResultParts(jobId: string): Promise<StoredPart[]>;
  putResultIndex(jobId: string, index: unknown, description?: string): Promise<void>;
  getResultIndex(jobId: string): Promise<{ index: unknown; description?: string } | undefined>;

  voiceprints: VoiceprintStore;
  replayGuard: ReplayGuard;
  /**
   * Vendor request windows shared by every process on this store (PostgreSQL, replicas). A
   * store one process uses alone (SQLite) has none: each vendor budget is the process's own.
   */
  rateWindow?: RateWindow;
  /** Files sent with create_upload's URL, until the job that used them has settled. */
  uploads: UploadStore;
  /**
   * Hears every committed change to a job row (insertJob, saveJob, finishSubmission that stores
   * a job; leases and requestPoll do not count), in every process on the store where the store
   * can tell (PostgreSQL: every replica; SQLite: this process only). The writer may hear its own
   * changes, and a change may be heard twice: a listener reloads the job. `onGap` is called when
   * changes may have gone unheard (PostgreSQL: the LISTEN connection dropped and is back): the
   * watcher reloads what it still waits on. Returns an unsubscribe.
   */
  watchJobs(listener: (jobId: string) => void, onGap?: () => void): () => void;
  /** One cheap round trip to the store (readiness): resolves when it answers, rejects when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

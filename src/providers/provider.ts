// The provider adapter contract (DESIGN §4). One adapter per vendor, in providers/<vendor>/.
// Adapters speak one vendor's API and return normalized objects; they never format text for
// the model except through `condense`, which is pure (no I/O).

import type { Job, JobSnapshot, ProviderId, TaskId } from "../jobs/job.js";
import type { CondensedView, PredictionQuery } from "../condense/view.js";

/** A media input after validation at the edge. Paths are already resolved and allowed. */
export type MediaInput =
  | { kind: "url"; url: string }
  | { kind: "path"; path: string; name: string; bytes: number }
  | { kind: "text"; text: string }
  | { kind: "id"; id: string; url?: string };

export interface StartRequest {
  task: TaskId;
  media: MediaInput[];
  /** Per-provider options, still unvalidated: the adapter parses them with its own zod schema. */
  options: Record<string, unknown>;
  label?: string;
  idempotencyKey?: string;
  /** Where the vendor should call us back, when MEDIA_JOBS_PUBLIC_URL is set. */
  webhookUrl?: string;
  /**
   * When the submission was recorded (ISO 8601). Anything an adapter derives from the time
   * (a default job name) uses this, so sending the same submission again sends the same body.
   */
  requestedAt?: string;
  /** Who starts the job (an HTTP token's principal); undefined over stdio. */
  owner?: string;
}

/**
 * A submission the server was making when it stopped (or stopped waiting for it): the vendor
 * may or may not have created its job. `id` is the idempotency key the adapter was given.
 */
export interface InterruptedSubmission {
  id: string;
  task: TaskId;
  media: MediaInput[];
  options: Record<string, unknown>;
  label?: string;
  webhookUrl?: string;
  /** When it was recorded; the vendor cannot have created the job before. */
  recordedAt: Date;
  /**
   * Creation times (vendor clock, skew allowed for) a job from this submission can have: a
   * listed job outside them is not it.
   */
  window: { from: Date; to: Date };
  /** Whether a vendor job is already one of ours: a job we know is never this submission's. */
  isKnown(nativeId: string): Promise<boolean>;
}

/** What a vendor says of an interrupted submission. */
export type SubmissionLookup =
  /** Its job: adopted as the submission's. */
  | { kind: "found"; snapshot: JobSnapshot }
  /**
   * The vendor lists no job that can be it. `certain` when nothing can still appear (the local
   * analyzer); otherwise the core waits a minute after the submission's last sign of life first.
   */
  | { kind: "absent"; certain?: boolean }
  /** The vendor cannot tell us (no list endpoint, too many candidates): `reason` says what to check. */
  | { kind: "unknowable"; reason: string };

export interface CallContext {
  signal?: AbortSignal;
}

export interface TaskInfo {
  task: TaskId;
  description: string;
  /** Which `media` kinds the task accepts. */
  inputs: Array<"url" | "path" | "text" | "id">;
  /** Options accepted in `start_job.options`, as "name: meaning (default)". */
  options: string[];
  /** `view` values that get_predictions accepts for this task; the first is the default. */
  views: string[];
  /** get_predictions filters that apply: file, model, speaker, start_s/end_s, query, verdict… */
  filters: string[];
}

export interface ProviderInfo {
  id: ProviderId;
  name: string;
  description: string;
  configured: boolean;
  /** What to set when not configured, e.g. "set HUME_API_KEY". */
  setup?: string;
  tasks: TaskInfo[];
  /** URL schemes the provider takes in `media: [{url}]`, e.g. ["https"]; checked at start_job. */
  urlSchemes: string[];
  canCancel: boolean;
  canListRemote: boolean;
  limits?: string[];
  notices?: string[];
}

export interface RemoteListQuery {
  limit: number;
  cursor?: string;
  status?: string;
  /** ISO 8601 bounds on the job's creation time, where the vendor can filter by it. */
  createdAfter?: string;
  createdBefore?: string;
}

export interface RemoteJobPage {
  items: JobSnapshot[];
  nextCursor?: string;
}

/** Where fetchResults writes what the vendor returned. Parts are stored compressed. */
export interface ResultSink {
  /** Stores (or replaces) one named part, e.g. "raw.json", "artifacts.zip". */
  putPart(name: string, data: Uint8Array | string, contentType: string): Promise<void>;
  /** Appends to a named part; for results that arrive page by page (NDJSON). */
  appendPart(name: string, data: Uint8Array | string, contentType: string): Promise<void>;
}

export interface FetchedResults {
  /**
   * A compact, JSON-serializable index that `condense` reads on every get_predictions call.
   * It is what makes later views fast: the raw payload is never re-parsed.
   */
  index: unknown;
  /** One-line description of the stored result for resources, e.g. "3 files, 12,345 predictions". */
  description?: string;
}

export interface CondenseInput {
  job: Job;
  index: unknown;
  query: PredictionQuery;
}

export interface WebhookRequest {
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
}

/**
 * What the HTTP edge checks before it reads a webhook's body, so a forged or unsigned
 * delivery costs a header check, not a body in memory.
 */
export interface WebhookIntake {
  /** The largest body this vendor sends; a larger one is refused with 413 unread. */
  maxBodyBytes: number;
  /** Throws ForbiddenError when the headers alone show the delivery is not genuine (no secret configured, signature header missing or malformed, timestamp outside the window). */
  checkHeaders?(headers: Record<string, string | undefined>): void;
}

/** What a verified webhook tells us: which job, and what it now looks like (when it says). */
export interface WebhookEvent {
  nativeId: string;
  snapshot?: JobSnapshot;
}

export interface ProviderAdapter {
  readonly id: ProviderId;
  /**
   * `viewer` carries what is listed about stored data: the voiceprints of the viewer (the
   * caller loads them from the store, scoped to its owner). Without it nothing stored is listed.
   */
  describe(viewer?: ProviderViewer): ProviderInfo;
  start(request: StartRequest, context: CallContext): Promise<JobSnapshot>;
  /** `job` is our stored record when we have one (absent for a job started elsewhere). */
  get(nativeId: string, job: Job | undefined, context: CallContext): Promise<JobSnapshot>;
  list?(query: RemoteListQuery, context: CallContext): Promise<RemoteJobPage>;
  /**
   * The status of many running jobs in a few requests (a vendor listing) instead of one GET
   * each, for background polling under a request budget. Returns a snapshot per native id it
   * could answer for; a job left out (not in the listing, or ended: the listing lacks the
   * detail of an end) is polled on its own with `get`.
   */
  getMany?(jobs: Job[], context: CallContext): Promise<Map<string, JobSnapshot>>;
  /** Called once when a job succeeds; writes raw parts to `sink` and returns the index. */
  fetchResults(job: Job, sink: ResultSink, context: CallContext): Promise<FetchedResults>;
  cancel?(job: Job, context: CallContext): Promise<JobSnapshot>;
  /**
   * Looks for the job an interrupted submission may have created (through the vendor's list
   * endpoint, or its idempotency key). Absent: the core records it as unknowable.
   */
  findSubmission?(submission: InterruptedSubmission, context: CallContext): Promise<SubmissionLookup>;
  condense(input: CondenseInput): CondensedView;
  /** Verifies and parses a webhook; throws ForbiddenError when the signature is wrong. */
  handleWebhook?(request: WebhookRequest): Promise<WebhookEvent>;
  /** Required with handleWebhook: the body limit and the header checks made before reading. */
  readonly webhookIntake?: WebhookIntake;
  /** How often the poller refreshes a running job; the core's default when absent. */
  readonly pollPolicy?: PollPolicy;
  /**
   * Jobs whose work runs inside this process (an analysis worker, a loop of uploads), by native
   * id, from their start until the core has their outcome. With several processes on one store
   * the core checks these against the store and `abandon`s what is no longer this process's.
   */
  runningHere?(): string[];
  /**
   * Stops this process's work on a job and forgets it: another process canceled the job, ended
   * it, or holds its lease now. Nothing more is reported or stored for it here; temporary files
   * are removed. Never changes the stored job (that is no longer this process's to change).
   * True when work was under way and was stopped; false when there was only an outcome to forget.
   */
  abandon?(nativeId: string): Promise<boolean>;
  /** Releases pools, workers and timers. */
  close?(): Promise<void>;
}

/** Polling cadence for a running job: start brisk, back off for long jobs. */
export interface PollPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

/** A stored voiceprint as listed: its label and origin, never the voiceprint itself. */
export interface StoredVoiceprint {
  label: string;
  provider: ProviderId;
  sourceJobId: string;
  createdAt: string;
}

/** Who asks for a provider's description, with the stored data it may list (loaded by the caller). */
export interface ProviderViewer {
  owner?: string;
  voiceprints?: StoredVoiceprint[];
}

/** Stored voiceprints, by label. The voiceprint string never leaves this store except to the vendor. */
/**
 * Voiceprints belong to the owner of the job that made them (an HTTP token's principal), like
 * jobs. `owner` undefined means unscoped — stdio, or HTTP without a token — which sees all,
 * as it sees every job.
 */
export interface VoiceprintStore {
  put(label: string, voiceprint: string, meta: { provider: ProviderId; sourceJobId: string; owner?: string }): Promise<void>;
  get(label: string, owner?: string): Promise<string | undefined>;
  list(owner?: string): Promise<StoredVoiceprint[]>;
  delete(label: string, owner?: string): Promise<boolean>;
}

/** Remembers webhook deliveries already accepted, to reject replays. */
export interface ReplayGuard {
  /** True the first time `key` is seen within `ttlMs`; false for a replay. */
  firstSeen(key: string, ttlMs: number): Promise<boolean>;
}

/** Downloads a public https URL to a temporary file (size-capped, public addresses only). */
export interface MediaDownloader {
  download(
    url: string,
    options: { maxBytes: number; signal?: AbortSignal },
  ): Promise<{ path: string; bytes: number; contentType?: string; cleanup(): Promise<void> }>;
}

/**
 * Named parts stored with a job while it runs (the same store as its results): an in-process
 * job keeps what it has finished here, so a restart resumes instead of starting over.
 */
export interface JobPartStore {
  put(jobId: string, name: string, data: Uint8Array | string, contentType: string): Promise<void>;
  get(jobId: string, name: string): Promise<Buffer | undefined>;
  list(jobId: string): Promise<string[]>;
}

/** What every adapter factory receives. */
export interface AdapterDeps {
  config: import("../config.js").Config;
  logger: import("../logger.js").Logger;
  voiceprints: VoiceprintStore;
  replayGuard: ReplayGuard;
  downloader: MediaDownloader;
  /** Absent in unit tests that need no persistence: parts then live in memory only. */
  jobParts?: JobPartStore;
  /** The vendor request window all replicas share (a PostgreSQL store); absent, each process keeps its own. */
  rateWindow?: import("../store/rate-window.js").RateWindow;
  createHttpClient(options: import("./http/types.js").VendorHttpClientOptions): import("./http/types.js").VendorHttpClient;
}

// Start, refresh, wait, cancel. The one place that moves jobs between the adapters and the
// store: dedupes by idempotency key, commits a job before start returns, fetches results once.

import { createHash, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import os from "node:os";
import {
  ConflictError,
  DamagedRecordError,
  MediaJobsError,
  NotConfiguredError,
  NotFoundError,
  ProviderError,
  StorageFullError,
  StoreUnavailableError,
  UnsupportedError,
  UserInputError,
} from "../errors.js";
import type { Logger } from "../logger.js";
import { currentBudgetScope, withBudgetScope, type RequestLane } from "../providers/http/request-budget.js";
import type {
  CallContext,
  InterruptedSubmission,
  MediaInput,
  ProviderAdapter,
  ResultSink,
  SubmissionLookup,
} from "../providers/provider.js";
import type { ProviderRegistry } from "../providers/registry.js";
import type { JobStore, SubmissionRecord } from "../store/store.js";
import {
  applySnapshot,
  isTerminal,
  jobId,
  noSuchJob,
  parseJobId,
  visibleTo,
  type Job,
  type JobInput,
  type JobSnapshot,
  type JobStatus,
  type ProviderId,
  type TaskId,
} from "./job.js";

export interface StartJobArguments {
  provider: ProviderId;
  task?: TaskId;
  media: MediaInput[];
  options: Record<string, unknown>;
  label?: string;
  idempotencyKey?: string;
  owner?: string;
}

export interface JobUpdate {
  job: Job;
  previousStatus: JobStatus | undefined;
}

export interface JobServiceOptions {
  store: JobStore;
  registry: ProviderRegistry;
  logger: Logger;
  publicUrl?: string;
  poll: { initialDelayMs: number; maxDelayMs: number };
  /**
   * Who this process is in the store's job leases, and how long a lease lasts unrenewed: a
   * process that dies (SIGKILL) holds its jobs that long before another takes them over.
   */
  lease?: { holder?: string; durationMs: number };
  /**
   * Several users (OAuth) share this server and the operator's vendor accounts: a job id the
   * store does not have is then missing for a user, never looked up with the operator's key and
   * adopted (it may be another user's job, or anyone's started elsewhere).
   */
  multiUser?: boolean;
  now?: () => number;
}

/** Default lease: renewed every third of it while the process lives. */
export const DEFAULT_LEASE_MS = 15_000;

const POLL_BACKOFF_FACTOR = 1.5;
/** A submission's claim lasts this long unless its process renews it (every SUBMISSION_RENEW_MS). */
const SUBMISSION_HOLD_MS = 30_000;
const SUBMISSION_RENEW_MS = 10_000;
/** The longest a start call may take (pyannoteAI uploads of 1 GiB get 3 h); then it is aborted. */
const SUBMISSION_MAX_MS = 4 * 60 * 60_000;
/** How long after the last sign of life a vendor that lists nothing is believed. */
const SUBMISSION_SETTLE_MS = 60_000;
/** Vendor clocks are not ours: windows on their creation times are widened by this much. */
const VENDOR_CLOCK_SKEW_MS = 2 * 60_000;
/** A vendor that cannot be asked for this long after a submission: recorded as unknowable. */
const SUBMISSION_GIVE_UP_MS = 24 * 60 * 60_000;
const SUBMISSION_SWEEP_MS = 30_000;
/** 404s in a row after which a job is taken as gone at the vendor. */
const MAX_NOT_FOUND_POLLS = 5;
/**
 * How long a get_job without a wait may spend asking the vendor; past it the stored copy is
 * the answer (with the vendor's minute spent, a plain get_job once took 40 s).
 */
const DIRECT_LOOK_MS = 10_000;
/** How many jobs' last known state is kept to tell another replica's changes from our own. */
const KNOWN_JOBS_KEPT = 10_000;
/**
 * How often the jobs running inside this process are checked against the store: a cancel or a
 * takeover by another process stops their work within about this long (at once where the
 * store tells us of the change: PostgreSQL).
 */
const WORK_CHECK_MS = 1_000;

export class JobService {
  readonly events = new EventEmitter<{ updated: [JobUpdate] }>();
  private readonly store: JobStore;
  private readonly registry: ProviderRegistry;
  private readonly logger: Logger;
  private readonly options: JobServiceOptions;
  private readonly now: () => number;
  /** This process in the store's job leases. */
  readonly leaseHolder: string;
  private readonly leaseMs: number;
  private leasesRenewedAt = 0;
  /** One refresh per job at a time; concurrent callers share it. */
  private readonly refreshing = new Map<string, { work: Promise<Job>; lane: RequestLane }>();
  /** Who this process is in a submission's claim: "host#pid#instance". */
  private readonly holder = `${os.hostname()}#${process.pid}#${randomUUID().slice(0, 8)}`;
  /** Submissions this process is sending now. */
  private readonly submitting = new Set<string>();
  /** Submissions being looked up at their vendor; concurrent callers share a lookup. */
  private readonly resolving = new Map<string, Promise<SettledSubmission>>();
  /** Vendor jobs created whose rows the store could not take (a full disk), by submission. */
  private readonly unsaved = new Map<string, JobSnapshot>();
  private nextSubmissionSweep = 0;
  /** When each job last asked its vendor, for spacing what unsigned callbacks may trigger. */
  private readonly lastPolledAt = new Map<string, number>();
  /**
   * What this process last knew of each job's status, results and progress (what `updated`
   * events are about), so a change heard from the store is told to waiters only when it is news:
   * another replica's, not this process's own save heard back.
   */
  private readonly known = new Map<string, string>();
  private readonly unwatch: () => void;
  private workCheckedAt = 0;

  constructor(options: JobServiceOptions) {
    this.options = options;
    this.store = options.store;
    this.registry = options.registry;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    // The same process identity as in submission claims.
    this.leaseHolder = options.lease?.holder ?? this.holder;
    this.leaseMs = options.lease?.durationMs ?? DEFAULT_LEASE_MS;
    this.events.setMaxListeners(0);
    this.unwatch = this.store.watchJobs(
      (id) => this.heard(id),
      () => this.heardGap(),
    );
  }

  /** Stops hearing the store's changes (the app closes the store next). */
  close(): void {
    this.unwatch();
  }

  /**
   * A job's row changed in the store, here or in another process on it (PostgreSQL replicas):
   * waiters and subscriptions hear of it when its status, results or progress are news here.
   */
  private heard(id: string): void {
    const workHere = this.workHere(id);
    if (!workHere && this.events.listenerCount("updated") === 0) return;
    this.store
      .getJob(id)
      .then(async (job) => {
        if (!job || job.damaged) return;
        const before = this.known.get(id);
        if (before === signatureOf(job)) return;
        // Another process's change to a job running here (this process's own saves are known):
        // a cancel or a takeover stops the work now rather than at the next check.
        if (workHere) await this.checkWork(workHere, job);
        if (this.events.listenerCount("updated") > 0) this.emit(job, before === undefined ? undefined : statusOfSignature(before));
      })
      .catch((error: unknown) => this.logger.debug(`job ${id} changed in the store but could not be told`, { error: messageOf(error) }));
  }

  /**
   * Changes may have gone unheard (the store's notifications dropped for a while): every job this
   * process knows unsettled is looked at again, so a get_job wait or a subscription on it does
   * not sleep through a completion another replica recorded meanwhile.
   */
  private heardGap(): void {
    for (const [id, signature] of this.known) {
      if (!isTerminal(statusOfSignature(signature))) this.heard(id);
    }
  }

  /** Keeps this process's leases alive; the poller calls it every tick, it writes every third of a lease. */
  async renewLeases(): Promise<void> {
    const at = Date.now();
    if (at - this.leasesRenewedAt < this.leaseMs / 3) return;
    this.leasesRenewedAt = at;
    await this.store.renewLeases(this.leaseHolder, this.leaseMs);
  }

  /**
   * Stops the work this process runs itself (local analyses, Hume's chunk uploads) on jobs that
   * are no longer its own: canceled or ended by another process on the store, or taken over by
   * one after this process lost the lease (it stalled). The poller calls it every tick; it looks
   * every WORK_CHECK_MS.
   */
  async checkWorkHere(): Promise<void> {
    if (Date.now() - this.workCheckedAt < WORK_CHECK_MS) return;
    this.workCheckedAt = Date.now();
    for (const adapter of this.registry.list()) {
      if (!adapter.runningHere || !adapter.abandon) continue;
      for (const nativeId of adapter.runningHere()) {
        const job = await this.store.getJob(jobId(adapter.id, nativeId));
        // Not committed yet (start_job is recording it), or unreadable: left as it is.
        if (job && !job.damaged) await this.checkWork(adapter, job);
      }
    }
  }

  /** The adapter running job `id` inside this process, if one does. */
  private workHere(id: string): ProviderAdapter | undefined {
    const parsed = parseJobId(id);
    const adapter = parsed ? this.registry.find(parsed.provider) : undefined;
    return parsed && adapter?.abandon && adapter.runningHere?.().includes(parsed.nativeId) ? adapter : undefined;
  }

  /** Abandons the work here on `job` (as stored) when it has settled, or another process holds it. */
  private async checkWork(adapter: ProviderAdapter, job: Job): Promise<void> {
    let reason: string;
    if (isSettled(job)) reason = job.status === "canceled" ? "it was canceled" : `it ended (${job.status})`;
    else if (!(await this.holdsLease(job.id))) reason = "another server took it over";
    else return;
    if (await adapter.abandon!(job.nativeId)) this.logger.info(`job ${job.id}: its work here stopped, as ${reason}`);
  }

  /** Clean shutdown: another server on this data dir may take over our jobs at once. */
  releaseLeases(): Promise<void> {
    return this.store.releaseLeases(this.leaseHolder);
  }

  /** Whether this process may poll (or analyse) the job now; takes a free or expired lease. */
  private holdsLease(id: string): Promise<boolean> {
    return this.store.claimJob(id, this.leaseHolder, this.leaseMs);
  }

  /** The provider's task for these input kinds; throws a message that says what to pass instead. */
  resolveTask(provider: ProviderId, requestedTask: TaskId | undefined, kinds: Array<MediaInput["kind"]>): TaskId {
    const adapter = this.registry.require(provider);
    const info = adapter.describe();
    if (!info.configured) {
      throw new NotConfiguredError(`${info.name} is not configured: ${info.setup ?? "its API key is missing"}`);
    }
    const task = requestedTask ?? info.tasks[0]?.task;
    const taskInfo = info.tasks.find((candidate) => candidate.task === task);
    if (!task || !taskInfo) {
      throw new UserInputError(
        `${provider} has no task "${requestedTask}"; it offers: ${info.tasks.map((entry) => entry.task).join(", ")}`,
      );
    }
    for (const kind of kinds) {
      if (!taskInfo.inputs.includes(kind)) {
        const hint =
          kind === "path" && taskInfo.inputs.includes("url")
            ? ` (${info.name} cannot take an upload from here: put the file at a public https URL and pass {url})`
            : "";
        throw new UserInputError(`${provider} ${task} does not accept ${kind} inputs; it accepts: ${taskInfo.inputs.join(", ")}${hint}`);
      }
    }
    return task;
  }

  async start(args: StartJobArguments, context: CallContext = {}): Promise<{ job: Job; deduplicated: boolean }> {
    const adapter = this.registry.require(args.provider);
    const task = this.resolveTask(args.provider, args.task, args.media.map((item) => item.kind));

    const owner = args.owner ?? "";
    const fingerprint = fingerprintOf(args, task);
    // The second round is taken only when an interrupted attempt with this key turned out to
    // have created nothing at the vendor: the key is free again and this call submits.
    for (let round = 0; ; round++) {
      const submission = this.newSubmission(args, task, owner, fingerprint);
      // Ours before it is committed: a sweep in this process that lists it while the commit is
      // answered must not take it for an abandoned one.
      this.submitting.add(submission.id);
      let existing;
      try {
        existing = await this.recordSubmission(submission, adapter);
      } catch (error) {
        this.submitting.delete(submission.id);
        throw error;
      }
      if (!existing) return this.submit(submission, adapter, context);
      this.submitting.delete(submission.id);
      const key = args.idempotencyKey!;
      if (existing.fingerprint !== fingerprint) {
        throw new ConflictError(`idempotency_key "${key}" was already used with different arguments; use a new key for a new job`);
      }
      // A key's job is its owner's. A recovery whose vendor job another user stored meanwhile
      // leaves the key bound to that job: it is never handed over, nor its id named.
      const own = (job: Job) => {
        if (visibleTo(job, args.owner)) return { job, deduplicated: true };
        throw new ConflictError(`the job of idempotency_key "${key}" cannot be told apart from another at ${adapter.describe().name}; check there before submitting again, then use a new key`);
      };
      if (existing.jobId) {
        const job = await this.store.getJob(existing.jobId);
        if (job) return own(job);
        throw new ConflictError(`idempotency_key "${key}" belongs to job ${existing.jobId}, which is no longer in the store; use a new key`);
      }
      const settled = await this.settleSubmissionFor(key, owner);
      if ("job" in settled) return own(settled.job);
      if ("released" in settled && round === 0) continue;
      throw new ConflictError(
        "pending" in settled ? settled.pending : `a job with idempotency_key "${key}" is being submitted right now; call start_job again in a moment`,
      );
    }
  }

  /**
   * Looks for the jobs of submissions whose process stopped (or stopped renewing its claim):
   * adopts what the vendor created, records a failed job where it cannot tell, releases the
   * rest. Called by the poller; runs at most every SUBMISSION_SWEEP_MS.
   */
  async resolveInterruptedSubmissions(): Promise<void> {
    if (this.now() < this.nextSubmissionSweep) return;
    this.nextSubmissionSweep = this.now() + SUBMISSION_SWEEP_MS;
    let records: SubmissionRecord[];
    try {
      records = await this.store.listSubmissions();
    } catch (error) {
      this.logger.warning("interrupted submissions could not be listed", { error: messageOf(error) });
      return;
    }
    for (const record of records) {
      if (!this.isAbandoned(record)) continue;
      void this.resolveSubmission(record).catch((error: unknown) => {
        this.logger.warning(`interrupted submission ${record.id} could not be resolved yet`, { error: messageOf(error) });
      });
    }
  }

  private newSubmission(args: StartJobArguments, task: TaskId, owner: string, fingerprint: string): SubmissionRecord {
    const now = this.now();
    return {
      id: randomUUID(),
      provider: args.provider,
      task,
      owner,
      ...(args.idempotencyKey !== undefined ? { idempotencyKey: args.idempotencyKey } : {}),
      fingerprint,
      request: {
        media: args.media,
        options: args.options,
        ...(args.label !== undefined ? { label: args.label } : {}),
        ...(this.options.publicUrl ? { webhookUrl: `${this.options.publicUrl}/webhooks/${args.provider}` } : {}),
      },
      createdAt: now,
      holder: this.holder,
      heldUntil: now + SUBMISSION_HOLD_MS,
      aliveAt: now,
    };
  }

  /** Commits the submission before anything is sent; a store that cannot take it stops here. */
  private async recordSubmission(submission: SubmissionRecord, adapter: ProviderAdapter) {
    try {
      return await this.store.beginSubmission(submission);
    } catch (error) {
      if (error instanceof StorageFullError) {
        throw new StorageFullError(error.dataDir, `nothing was sent to ${adapter.describe().name}`, { cause: error, next: "call start_job again", database: error.database });
      }
      if (error instanceof StoreUnavailableError) {
        throw new StoreUnavailableError(error.database, error.reason, { cause: error, detail: `nothing was sent to ${adapter.describe().name}`, next: "call start_job again in a moment" });
      }
      throw error;
    }
  }

  private async submit(submission: SubmissionRecord, adapter: ProviderAdapter, context: CallContext): Promise<{ job: Job; deduplicated: boolean }> {
    this.submitting.add(submission.id);
    // The claim is renewed while this process works on it; a process that hangs (or a call that
    // outlives SUBMISSION_MAX_MS) stops renewing, and the submission can then be resolved
    // elsewhere instead of holding its key forever.
    const deadline = AbortSignal.timeout(SUBMISSION_MAX_MS);
    const renewal = setInterval(() => {
      const now = this.now();
      if (deadline.aborted) return;
      this.store.renewSubmission(submission.id, this.holder, now + SUBMISSION_HOLD_MS, now).catch((error: unknown) => {
        this.logger.debug(`submission ${submission.id} could not be renewed`, { error: messageOf(error) });
      });
    }, SUBMISSION_RENEW_MS);
    renewal.unref();
    let snapshot: JobSnapshot;
    try {
      snapshot = await adapter.start(
        {
          task: submission.task,
          media: submission.request.media,
          options: submission.request.options,
          label: submission.request.label,
          idempotencyKey: submission.id,
          webhookUrl: submission.request.webhookUrl,
          requestedAt: new Date(submission.createdAt).toISOString(),
          owner: submission.owner || undefined,
        },
        { signal: context.signal ? AbortSignal.any([context.signal, deadline]) : deadline },
      );
    } catch (error) {
      clearInterval(renewal);
      this.submitting.delete(submission.id);
      await this.afterFailedSubmit(submission, error);
      throw error;
    }
    clearInterval(renewal);
    const job = this.jobFor(adapter, submission, snapshot);
    try {
      // Committed before start_job returns (DESIGN §3): a crash from here on cannot lose the job.
      // Stored already leased to this process: another server's poller cannot take it (and start
      // a local analysis a second time) between the row and the lease.
      await this.storeJob(job, () => this.store.finishSubmission(submission.id, { job, lease: { holder: this.leaseHolder, durationMs: this.leaseMs } }));
    } catch (error) {
      // The vendor has the job; the store could not take it. Kept in memory so a retry with the
      // same key (or the next sweep) records it without asking the vendor.
      this.unsaved.set(submission.id, snapshot);
      const detail = `${adapter.describe().name} accepted the job (${job.id}) but it could not be recorded`;
      const next =
        submission.idempotencyKey !== undefined
          ? "call start_job again with the same arguments and idempotency_key: it returns that job without submitting again"
          : "it is recorded within a minute (list_jobs shows it); do not start it again";
      if (error instanceof StorageFullError) throw new StorageFullError(error.dataDir, detail, { cause: error, next, database: error.database });
      if (error instanceof StoreUnavailableError) throw new StoreUnavailableError(error.database, error.reason, { cause: error, detail, next });
      throw error;
    } finally {
      this.submitting.delete(submission.id);
    }
    this.logger.info(`job ${job.id} started`, { provider: job.provider, task: job.task });
    this.emit(job, undefined);
    if (job.status === "succeeded") return { job: await this.refresh(job.id), deduplicated: false };
    return { job, deduplicated: false };
  }

  /**
   * A submission that failed: released when the vendor certainly did not take it; otherwise
   * left for a lookup (a retry with the same key must not submit, and pay for, a second job).
   */
  private async afterFailedSubmit(submission: SubmissionRecord, error: unknown): Promise<void> {
    const mayHaveReached = error instanceof ProviderError && error.mayHaveReachedVendor;
    try {
      if (!mayHaveReached) await this.store.finishSubmission(submission.id, { released: true });
      else await this.store.renewSubmission(submission.id, this.holder, 0, this.now());
    } catch (storeError) {
      this.logger.warning(`submission ${submission.id} could not be updated after a failed start`, { error: messageOf(storeError) });
    }
  }

  /** The job a submission produced, as stored. */
  private jobFor(adapter: ProviderAdapter, submission: SubmissionRecord, snapshot: JobSnapshot, warnings: string[] = []): Job {
    const now = this.now();
    const nowIso = new Date(now).toISOString();
    const job: Job = {
      id: jobId(adapter.id, snapshot.nativeId),
      provider: adapter.id,
      nativeId: snapshot.nativeId,
      task: submission.task,
      label: submission.request.label,
      status: "queued",
      inputs: snapshot.inputs ?? submission.request.media.map(describeInput),
      options: submission.request.options,
      createdAt: snapshot.createdAt ?? new Date(submission.createdAt).toISOString(),
      updatedAt: nowIso,
      owner: submission.owner || undefined,
      resultState: "none",
      pollCount: 0,
    };
    const applied = applySnapshot(job, snapshot, new Date(now));
    const allWarnings = [...(applied.warnings ?? []), ...warnings];
    return {
      ...applied,
      ...(allWarnings.length > 0 ? { warnings: allWarnings } : {}),
      nextPollAt: now + this.pollDelay(adapter, 0),
    };
  }

  /** Whether no live process is working on a submission, so it may be looked up and ended. */
  private isAbandoned(record: SubmissionRecord): boolean {
    if (record.holder === this.holder) return !this.submitting.has(record.id) && !this.resolving.has(record.id);
    if (record.heldUntil <= this.now()) return true;
    const holder = parseHolder(record.holder);
    return holder !== undefined && holder.host === os.hostname() && !processAlive(holder.pid);
  }

  /** For a retry with a key whose submission has no job yet. */
  private async settleSubmissionFor(key: string, owner: string): Promise<SettledSubmission> {
    const record = await this.store.findSubmission(key, owner);
    if (!record) {
      // Finished between our two reads (the next round sees its job), or reserved with no
      // record of what for: a key without a job is released, never held forever.
      await this.store.releaseIdempotencyKey(key, owner);
      return { released: true };
    }
    // Already being looked up here (the poller's sweep after a restart): share that lookup.
    const running = this.resolving.get(record.id);
    if (running) return running;
    if (!this.isAbandoned(record)) {
      return { pending: `a job with idempotency_key "${key}" is being submitted right now; call start_job again in a moment with the same key` };
    }
    return this.resolveSubmission(record);
  }

  /** Looks up an abandoned submission at its vendor and ends it; concurrent callers share one lookup. */
  private resolveSubmission(record: SubmissionRecord): Promise<SettledSubmission> {
    const running = this.resolving.get(record.id);
    if (running) return running;
    const work = this.resolveSubmissionNow(record).finally(() => this.resolving.delete(record.id));
    this.resolving.set(record.id, work);
    return work;
  }

  private async resolveSubmissionNow(candidate: SubmissionRecord): Promise<SettledSubmission> {
    const adapter = this.registry.require(candidate.provider);
    const name = adapter.describe().name;
    const keyNote = candidate.idempotencyKey !== undefined ? ` with idempotency_key "${candidate.idempotencyKey}"` : "";
    const record = await this.store.claimSubmission(candidate.id, this.holder, this.now() + SUBMISSION_HOLD_MS, (current) =>
      current.holder === this.holder ? !this.submitting.has(current.id) : this.isAbandoned(current),
    );
    if (!record) return { pending: `the job${keyNote} is being submitted (or looked up) by another process right now; call start_job again in a moment` };
    const at = new Date(record.createdAt).toISOString();
    let lookup: SubmissionLookup;
    const unsaved = this.unsaved.get(record.id);
    try {
      if (unsaved) lookup = { kind: "found", snapshot: unsaved };
      else if (adapter.findSubmission) lookup = await adapter.findSubmission(this.interrupted(record, adapter), {});
      else lookup = { kind: "unknowable", reason: `${name} offers no way to look jobs up` };
    } catch (error) {
      await this.store.renewSubmission(record.id, this.holder, 0);
      if (this.now() - record.createdAt < SUBMISSION_GIVE_UP_MS) {
        return {
          pending: `the previous start_job${keyNote} was interrupted, and ${name} could not be asked whether it created the job (${messageOf(error)}); call start_job again with the same key in a minute`,
        };
      }
      lookup = { kind: "unknowable", reason: `${name} could not be asked (${messageOf(error)})` };
    }
    switch (lookup.kind) {
      case "found": {
        const job = this.jobFor(adapter, record, lookup.snapshot, unsaved ? [] : [`recovered after start_job was interrupted at ${at}: found at ${name}`]);
        await this.storeJob(job, () => this.store.finishSubmission(record.id, { job }));
        this.unsaved.delete(record.id);
        const stored = (await this.store.getJob(job.id)) ?? job;
        this.logger.info(`job ${stored.id} recovered from an interrupted submission`, { provider: record.provider, task: record.task });
        this.emit(stored, undefined);
        return { job: stored };
      }
      case "absent":
        if (!lookup.certain && this.now() < record.aliveAt + SUBMISSION_SETTLE_MS) {
          // The vendor may still be creating it: too early to call it absent.
          await this.store.renewSubmission(record.id, this.holder, 0);
          const seconds = Math.ceil((record.aliveAt + SUBMISSION_SETTLE_MS - this.now()) / 1000);
          return {
            pending: `the previous start_job${keyNote} was interrupted; ${name} lists no job from it yet, but may still be creating it: call start_job again with the same key in ${seconds} s`,
          };
        }
        await this.store.finishSubmission(record.id, { released: true });
        this.logger.info(`interrupted submission ${record.id} created nothing at ${name}; released`, { provider: record.provider });
        return { released: true };
      case "unknowable": {
        // Another start to this vendor, still being sent by a live process (a replica under
        // load), may own one of the jobs that make this one ambiguous: once its row is stored,
        // the job is known and the next look may find ours alone. Within the settle minute, the
        // lookup is made again rather than the submission given up as unconfirmed.
        if (this.now() < record.aliveAt + SUBMISSION_SETTLE_MS && (await this.othersInFlight(record))) {
          await this.store.renewSubmission(record.id, this.holder, 0);
          return {
            pending: `the previous start_job${keyNote} was interrupted, and ${name} cannot tell its job apart yet while another start to ${name} is still being sent: call start_job again with the same key in a few seconds`,
          };
        }
        // On a team server the candidates are jobs of the operator's whole vendor account, other
        // users' among them: their ids go to the operator's log, not into this user's job.
        const told = this.mayAdopt(record.owner || undefined)
          ? lookup.reason
          : `it cannot be told apart from other jobs of this server's ${name} account; the server's log names the candidates for its operator`;
        const job = this.interruptedJob(adapter, record, told);
        await this.storeJob(job, () => this.store.finishSubmission(record.id, { job }));
        this.logger.warning(`submission ${record.id} to ${name} was interrupted and cannot be confirmed; recorded as ${job.id}`, { reason: lookup.reason });
        this.emit(job, undefined);
        return { job: (await this.store.getJob(job.id)) ?? job };
      }
    }
  }

  /** Whether another submission to the same vendor is still being sent by a live process. */
  private async othersInFlight(record: SubmissionRecord): Promise<boolean> {
    const others = await this.store.listSubmissions();
    return others.some((other) => other.id !== record.id && other.provider === record.provider && !this.isAbandoned(other));
  }

  private interrupted(record: SubmissionRecord, adapter: ProviderAdapter): InterruptedSubmission {
    return {
      id: record.id,
      task: record.task,
      media: record.request.media,
      options: record.request.options,
      label: record.request.label,
      webhookUrl: record.request.webhookUrl,
      recordedAt: new Date(record.createdAt),
      window: {
        from: new Date(record.createdAt - VENDOR_CLOCK_SKEW_MS),
        to: new Date(Math.max(record.aliveAt, record.createdAt) + SUBMISSION_SETTLE_MS + VENDOR_CLOCK_SKEW_MS),
      },
      isKnown: async (nativeId) => (await this.store.getJob(jobId(adapter.id, nativeId))) !== undefined,
    };
  }

  /** A failed job standing for a submission whose fate the vendor cannot tell us. */
  private interruptedJob(adapter: ProviderAdapter, record: SubmissionRecord, reason: string): Job {
    const nowIso = new Date(this.now()).toISOString();
    const at = new Date(record.createdAt).toISOString();
    return {
      id: jobId(adapter.id, `unconfirmed-${record.id}`),
      provider: adapter.id,
      nativeId: `unconfirmed-${record.id}`,
      task: record.task,
      label: record.request.label,
      status: "failed",
      providerStatus: "unconfirmed",
      inputs: record.request.media.map(describeInput),
      options: record.request.options,
      createdAt: at,
      updatedAt: nowIso,
      endedAt: nowIso,
      owner: record.owner || undefined,
      error: {
        code: "submission_interrupted",
        message: `the server stopped while submitting this job to ${adapter.describe().name} (at ${at}); ${adapter.describe().name} may have created (and may bill) a job for it, and this server cannot tell: ${reason}. Check there before submitting again; to submit again, call start_job with a new idempotency_key`,
      },
      resultState: "none",
      pollCount: 0,
    };
  }

  /**
   * Our stored record; a job started elsewhere is looked up at its vendor and adopted, unless
   * users share this server (then it is missing, as another user's job is).
   */
  async get(id: string, owner?: string): Promise<Job> {
    const stored = await this.store.getJob(id);
    if (stored) {
      // What this process knows of it from now on: a change heard later says what it was before.
      if (!this.known.has(id)) this.remember(stored);
      if (!visibleTo(stored, owner)) throw noSuchJob(id);
      if (stored.damaged) throw new DamagedRecordError(stored.error?.message ?? `job ${id} is damaged in the store`);
      return stored;
    }
    const parsed = parseJobId(id);
    if (!parsed) {
      throw new UserInputError(
        `job_id "${id}" is not a job id: it looks like "<provider>:<native id>", e.g. "pyannote:3f2c…"; list_jobs shows yours`,
      );
    }
    if (!this.mayAdopt(owner)) throw noSuchJob(id);
    const adapter = this.registry.require(parsed.provider);
    if (!adapter.describe().configured || parsed.provider === "local") throw noSuchJob(id);
    const snapshot = await adapter.get(parsed.nativeId, undefined, {});
    return this.adopt(adapter, snapshot, owner);
  }

  /**
   * The job as the vendor sees it now when our copy is older than `maxAgeMs` (the poller backs
   * off on long jobs, so a direct question gets a direct look); a vendor hiccup returns our copy.
   */
  async getFresh(id: string, owner: string | undefined, maxAgeMs: number): Promise<Job> {
    const job = await this.get(id, owner);
    if (!this.isStale(job, maxAgeMs)) return job;
    // Bounded even when it joins a background refresh already under way (a long result fetch).
    return withBudgetScope({ lane: "interactive", deadlineAt: Date.now() + DIRECT_LOOK_MS }, () =>
      this.withinTime(this.refreshSafely(job), DIRECT_LOOK_MS, id, job),
    );
  }

  /**
   * Whether a job wants a look at its vendor now: results to fetch, a status older than
   * `maxAgeMs`, or (after failed polls) its back-off time reached.
   */
  private isStale(job: Job, maxAgeMs: number): boolean {
    if (isSettled(job)) return false;
    if (job.status === "succeeded") return true;
    if ((job.pollFailures ?? 0) > 0) return (job.nextPollAt ?? 0) <= this.now();
    return this.now() - Date.parse(job.updatedAt) >= maxAgeMs;
  }

  /** Refreshes one job from its vendor now (shared with concurrent callers). */
  refresh(id: string): Promise<Job> {
    const lane = currentBudgetScope().lane;
    const running = this.refreshing.get(id);
    if (running) {
      if (running.lane === lane || lane === "background") return running.work;
      // A background poll that yielded its budget slot is no answer for a caller who waits:
      // that caller asks again in its own lane.
      return running.work.catch((error: unknown) => {
        if (error instanceof ProviderError && error.notSentForBudget) return this.refresh(id);
        throw error;
      });
    }
    const work = this.refreshNow(id).finally(() => this.refreshing.delete(id));
    this.refreshing.set(id, { work, lane });
    return work;
  }

  /**
   * Waits up to `seconds` for the job to end (and its results to be stored), reporting
   * progress. Returns the job as it stands when the wait ends.
   */
  async wait(
    id: string,
    seconds: number,
    options: { owner?: string; signal?: AbortSignal; onProgress?: (job: Job) => void } = {},
  ): Promise<Job> {
    const deadline = this.now() + seconds * 1000;
    // The wait ends by its deadline whatever the vendor or its budget do: every look at the
    // vendor is bounded by the time left (RequestBudget never holds it past that).
    const realDeadline = Date.now() + seconds * 1000;
    const look = (current: Job): Promise<Job> => {
      const left = realDeadline - Date.now();
      if (left <= 0) return Promise.resolve(current);
      return withBudgetScope({ lane: "interactive", deadlineAt: realDeadline }, () => this.withinTime(this.refreshSafely(current), left, id, current));
    };
    let job = await withBudgetScope({ lane: "interactive", deadlineAt: realDeadline }, () => this.get(id, options.owner));
    if (seconds <= 0 || isSettled(job)) return job;
    const adapter = this.registry.require(job.provider);
    // Someone is waiting: look at the brisk cadence, not the poller's backed-off one.
    const brisk = this.pollDelay(adapter, 0);
    if (this.isStale(job, brisk)) job = await look(job);
    while (!isSettled(job) && this.now() < deadline && Date.now() < realDeadline && !options.signal?.aborted) {
      options.onProgress?.(job);
      const step = Math.min(brisk, Math.max(0, deadline - this.now()), Math.max(0, realDeadline - Date.now()));
      job = (await this.nextUpdate(id, step, options.signal)) ?? (await this.store.getJob(id)) ?? job;
      if (!isSettled(job) && this.isStale(job, brisk)) job = await look(job);
    }
    return job;
  }

  /** `work`'s job if it comes within `ms`, else the stored copy (the work goes on unawaited). */
  private withinTime(work: Promise<Job>, ms: number, id: string, fallback: Job): Promise<Job> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.store.getJob(id).then(
          (job) => resolve(job ?? fallback),
          () => resolve(fallback),
        );
      }, ms);
      work.then(
        (job) => {
          clearTimeout(timer);
          resolve(job);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  async cancel(id: string, owner?: string): Promise<Job> {
    const job = await this.get(id, owner);
    if (isTerminal(job.status)) {
      throw new UserInputError(`job ${id} already ended (${job.status}); nothing to cancel`);
    }
    const adapter = this.registry.require(job.provider);
    if (!adapter.cancel) {
      throw new UnsupportedError(
        `${adapter.describe().name} has no way to cancel a job once submitted; job ${id} keeps running at the vendor and will be billed. You can ignore its results`,
      );
    }
    const snapshot = await adapter.cancel(job, {});
    return this.save(job, applySnapshot(job, snapshot, new Date(this.now())));
  }

  /** Applies a verified webhook: a snapshot when the vendor sent one, else a re-fetch. */
  async applyWebhook(provider: ProviderId, nativeId: string, snapshot: JobSnapshot | undefined): Promise<Job | undefined> {
    const id = jobId(provider, nativeId);
    const job = await this.store.getJob(id);
    if (!job || job.damaged) return undefined;
    if (!snapshot) return this.hint(job);
    const updated = await this.save(job, applySnapshot(job, snapshot, new Date(this.now())));
    return isSettled(updated) ? updated : this.refresh(id);
  }

  /**
   * An unsigned callback (anyone who can reach the URL can send one) is a hint at most: it
   * brings an active job's next poll forward, never sooner than the brisk cadence after its
   * last poll, and the poller does the GET within its own budget. A flood of callbacks for
   * one job thus costs at most one vendor GET per cadence step, and none for a settled job.
   */
  private async hint(job: Job): Promise<Job> {
    if (isTerminal(job.status)) return job;
    const adapter = this.registry.require(job.provider);
    const earliest = Math.max(this.now(), (this.lastPolledAt.get(job.id) ?? 0) + this.pollDelay(adapter, 0));
    if (job.nextPollAt !== undefined && job.nextPollAt <= earliest) return job;
    return this.save(job, { ...job, nextPollAt: earliest });
  }

  /** Adopts vendor-side jobs (from a remote listing) so they can be read like ours. */
  async adopt(adapter: ProviderAdapter, snapshot: JobSnapshot, owner?: string): Promise<Job> {
    const id = jobId(adapter.id, snapshot.nativeId);
    const existing = await this.store.getJob(id);
    if (existing) return existing;
    const info = adapter.describe();
    const nowIso = new Date(this.now()).toISOString();
    const base: Job = {
      id,
      provider: adapter.id,
      nativeId: snapshot.nativeId,
      task: snapshot.task ?? info.tasks[0]!.task,
      label: snapshot.label,
      status: "queued",
      inputs: snapshot.inputs ?? [],
      options: {},
      createdAt: snapshot.createdAt ?? nowIso,
      updatedAt: nowIso,
      owner,
      resultState: "none",
      pollCount: 0,
      nextPollAt: this.now(),
    };
    const job = applySnapshot(base, snapshot, new Date(this.now()));
    try {
      await this.storeJob(job, () => this.store.insertJob(job));
    } catch {
      // Adopted meanwhile by another call (or replica): theirs is the record.
      return (await this.store.getJob(id)) ?? job;
    }
    this.emit(job, undefined);
    return job;
  }

  /** Whether the poller should poll this provider's jobs together (it has a bulk status call). */
  pollsInBulk(provider: ProviderId): boolean {
    return typeof this.registry.find(provider)?.getMany === "function";
  }

  /**
   * One bulk status poll of every running job of `provider` this process holds (a vendor
   * listing: one request for up to 100 jobs), then a poll of its own for each job the listing
   * did not answer for (ended, or not in it). The due jobs are why it runs; all held jobs
   * are refreshed by it, so the provider's jobs share one cadence.
   */
  async refreshInBulk(provider: ProviderId, due: Job[]): Promise<void> {
    const adapter = this.registry.require(provider);
    const held: Job[] = [];
    for (const job of await this.store.listJobsDue(Number.MAX_SAFE_INTEGER, this.leaseHolder)) {
      if (job.provider === provider && !isTerminal(job.status) && (await this.holdsLease(job.id))) held.push(job);
    }
    let answered = new Map<string, JobSnapshot>();
    if (held.length > 0 && adapter.getMany) {
      try {
        answered = await adapter.getMany(held, {});
      } catch (error) {
        for (const job of due) await this.recordPollFailure((await this.store.getJob(job.id)) ?? job, adapter, error);
        if (error instanceof ProviderError && error.notSentForBudget) return;
        throw error;
      }
    }
    for (const job of held) {
      const snapshot = answered.get(job.nativeId);
      if (!snapshot) continue;
      const current = await this.store.getJob(job.id);
      if (!current || isTerminal(current.status)) continue;
      const next = applySnapshot(current, snapshot, new Date(this.now()));
      next.pollCount = current.pollCount + 1;
      next.pollFailures = 0;
      next.nextPollAt = this.now() + this.pollDelay(adapter, next.pollCount);
      await this.save(current, next);
    }
    // The rest on their own, one at a time: ended jobs (their detail and results) and any the
    // listing did not show.
    for (const job of due) {
      if (answered.has(job.nativeId)) continue;
      await this.refresh(job.id).catch((error: unknown) => {
        this.logger.debug(`poll of ${job.id} failed`, { error: error instanceof Error ? error.message : String(error) });
      });
    }
  }

  /** Jobs the poller should refresh now. */
  dueJobs(): Promise<Job[]> {
    return this.store.listJobsDue(this.now(), this.leaseHolder);
  }

  /** Refresh, but a vendor hiccup while waiting leaves the job as it was (the poller retries). */
  private async refreshSafely(job: Job): Promise<Job> {
    try {
      return await this.refresh(job.id);
    } catch (error) {
      if (error instanceof ProviderError && error.retryable) return (await this.store.getJob(job.id)) ?? job;
      throw error;
    }
  }

  private async refreshNow(id: string): Promise<Job> {
    const job = await this.store.getJob(id);
    if (!job) throw new NotFoundError(`no job ${id} here`);
    if (job.damaged) throw new DamagedRecordError(job.error?.message ?? `job ${id} is damaged in the store`);
    const adapter = this.registry.require(job.provider);
    // Another live server on this data dir holds the job: it polls (or analyses) it and
    // writes what it learns to the store, which is our answer. Someone here wants a look now,
    // so the job is made due: the holder's poller reads due jobs every tick.
    if (!isSettled(job) && !(await this.holdsLease(id))) {
      await this.store.requestPoll(id, this.now());
      return job;
    }
    let current = job;
    if (!isTerminal(job.status)) {
      try {
        this.lastPolledAt.set(id, this.now());
        const snapshot = await adapter.get(job.nativeId, job, {});
        if (isTerminal(snapshot.status)) this.lastPolledAt.delete(id);
        current = applySnapshot(job, snapshot, new Date(this.now()));
        current.pollCount = job.pollCount + 1;
        current.pollFailures = 0;
        current.nextPollAt = this.now() + this.pollDelay(adapter, current.pollCount);
        current = await this.save(job, current);
      } catch (error) {
        await this.recordPollFailure(job, adapter, error);
        throw error;
      }
    }
    if (current.status === "succeeded" && current.resultState === "none") {
      current = await this.fetchResults(current, adapter);
    }
    return current;
  }

  private async fetchResults(job: Job, adapter: ProviderAdapter): Promise<Job> {
    const store = this.store;
    const sink: ResultSink = {
      putPart: (name, data, contentType) => store.putResultPart(job.id, name, toBytes(data), contentType),
      appendPart: (name, data, contentType) => store.appendResultPart(job.id, name, toBytes(data), contentType),
    };
    try {
      // Results are fetched once, often page by page: background work waits for its budget
      // slots here rather than stopping half-way (a status poll defers instead). A waiting
      // caller's deadline ends its wait, not the fetch: cut off at each waiter's deadline, a
      // 50-page catalog would start over forever.
      const fetched = await withBudgetScope({ lane: currentBudgetScope().lane, patient: true }, () => adapter.fetchResults(job, sink, {}));
      await this.store.putResultIndex(job.id, fetched.index, fetched.description);
      this.logger.info(`job ${job.id} results stored`, { description: fetched.description });
      return await this.save(job, { ...job, resultState: "stored", nextPollAt: undefined, updatedAt: new Date(this.now()).toISOString() });
    } catch (error) {
      if (error instanceof ProviderError && error.retryable) {
        const pollCount = error.notSentForBudget ? job.pollCount : job.pollCount + 1;
        await this.saveQuietly({ ...job, pollCount, nextPollAt: this.now() + this.pollDelay(adapter, pollCount) });
        throw error;
      }
      const message = error instanceof MediaJobsError ? error.message : "the results could not be read";
      this.logger.warning(`job ${job.id} results could not be fetched: ${message}`);
      if (!(error instanceof MediaJobsError)) this.logger.error(`unexpected error fetching ${job.id}`, { error: String(error) });
      return this.save(job, {
        ...job,
        resultState: "fetch_failed",
        nextPollAt: undefined,
        warnings: [...(job.warnings ?? []), `results could not be fetched: ${message}`],
        updatedAt: new Date(this.now()).toISOString(),
      });
    }
  }

  private async recordPollFailure(job: Job, adapter: ProviderAdapter, error: unknown): Promise<void> {
    if (error instanceof ProviderError && error.notSentForBudget) {
      // Not a failure: the request was never sent. Come back when the budget has room.
      await this.saveQuietly({ ...job, nextPollAt: this.now() + Math.max(this.pollDelay(adapter, job.pollCount), (error.retryAfterSeconds ?? 1) * 1000) });
      return;
    }
    const pollCount = job.pollCount + 1;
    const pollFailures = (job.pollFailures ?? 0) + 1;
    // A vendor that keeps saying it does not know the job has lost it (or it was deleted):
    // end it plainly instead of polling forever.
    if (error instanceof ProviderError && error.status === 404 && pollFailures >= MAX_NOT_FOUND_POLLS) {
      const ended = applySnapshot(
        job,
        {
          nativeId: job.nativeId,
          status: "failed",
          error: { code: "vendor_not_found", message: `${adapter.describe().name} no longer knows this job (404 on ${pollFailures} polls in a row)` },
        },
        new Date(this.now()),
      );
      await this.save(job, { ...ended, pollCount, pollFailures, nextPollAt: undefined });
      return;
    }
    const retryAfterMs = error instanceof ProviderError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
    const delay = Math.max(this.pollDelay(adapter, pollCount), retryAfterMs);
    await this.saveQuietly({ ...job, pollCount, pollFailures, nextPollAt: this.now() + delay });
    const message = error instanceof MediaJobsError ? error.message : String(error);
    this.logger.warning(`refreshing ${job.id} failed; will retry`, { error: message });
  }

  private async save(previous: Job, next: Job): Promise<Job> {
    await this.storeJob(next, () => this.store.saveJob(next));
    if (previous.status !== next.status || previous.resultState !== next.resultState || progressChanged(previous, next)) {
      this.emit(next, previous.status);
    }
    return next;
  }

  /** Saves a change nobody is told of (poll bookkeeping: status, results and progress as they were). */
  private saveQuietly(job: Job): Promise<void> {
    return this.storeJob(job, () => this.store.saveJob(job));
  }

  /**
   * Writes a job, noting first what this process knows of it: the store may tell us of the
   * write before it answers, and this process's own write is no news to announce twice.
   */
  private async storeJob(job: Job, write: () => Promise<void>): Promise<void> {
    const before = this.known.get(job.id);
    this.remember(job);
    try {
      await write();
    } catch (error) {
      if (before === undefined) this.known.delete(job.id);
      else this.known.set(job.id, before);
      throw error;
    }
  }

  private remember(job: Job): void {
    // Oldest first out: a long-lived server does not keep every job it ever saw.
    this.known.delete(job.id);
    this.known.set(job.id, signatureOf(job));
    if (this.known.size > KNOWN_JOBS_KEPT) this.known.delete(this.known.keys().next().value!);
  }

  private emit(job: Job, previousStatus: JobStatus | undefined): void {
    this.remember(job);
    this.events.emit("updated", { job, previousStatus });
  }

  private nextUpdate(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Job | undefined> {
    return new Promise((resolve) => {
      const done = (job: Job | undefined) => {
        clearTimeout(timer);
        this.events.off("updated", onUpdate);
        signal?.removeEventListener("abort", onAbort);
        resolve(job);
      };
      const onUpdate = (update: JobUpdate) => {
        if (update.job.id === id) done(update.job);
      };
      const onAbort = () => done(undefined);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.events.on("updated", onUpdate);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  pollDelay(adapter: ProviderAdapter, pollCount: number): number {
    const policy = adapter.pollPolicy ?? {
      initialDelayMs: this.options.poll.initialDelayMs,
      maxDelayMs: this.options.poll.maxDelayMs,
      factor: POLL_BACKOFF_FACTOR,
    };
    return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, pollCount - 1));
  }

  /** Whether jobs started elsewhere at a vendor may be adopted for `owner` (by id, or from a vendor listing). */
  mayAdopt(owner: string | undefined): boolean {
    return owner === undefined || !this.options.multiUser;
  }
}

/** How a submission without a job ended up: its job, released (nothing at the vendor), or not yet known. */
type SettledSubmission = { job: Job } | { released: true } | { pending: string };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function parseHolder(holder: string): { host: string; pid: number } | undefined {
  const [host, pid] = holder.split("#");
  const number = Number(pid);
  return host !== undefined && Number.isInteger(number) && number > 0 ? { host, pid: number } : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A job needs nothing more from its vendor: ended, and results stored (or unobtainable). */
export function isSettled(job: Job): boolean {
  return isTerminal(job.status) && (job.status !== "succeeded" || job.resultState !== "none");
}

/** What `updated` events are about: status, results and progress (the status first). */
function signatureOf(job: Job): string {
  return `${job.status}|${job.resultState}|${job.progress?.done ?? ""}|${job.progress?.total ?? ""}`;
}

/** The status a signatureOf string was made from. */
function statusOfSignature(signature: string): JobStatus {
  return signature.slice(0, signature.indexOf("|")) as JobStatus;
}

function progressChanged(previous: Job, next: Job): boolean {
  return previous.progress?.done !== next.progress?.done || previous.progress?.total !== next.progress?.total;
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? Buffer.from(data, "utf8") : data;
}

export function describeInput(item: MediaInput): JobInput {
  switch (item.kind) {
    case "url":
      return { kind: "url", url: item.url };
    case "path":
      return { kind: "path", path: item.path, name: item.name, bytes: item.bytes };
    case "text":
      return { kind: "text", chars: item.text.length, preview: item.text.slice(0, 60) };
    case "id":
      return { kind: "id", id: item.id, url: item.url };
  }
}

function fingerprintOf(args: StartJobArguments, task: TaskId): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>)
          .filter(([, entry]) => entry !== undefined)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, entry]) => [key, canonical(entry)]),
      );
    }
    return value;
  };
  return createHash("sha256")
    .update(JSON.stringify(canonical({ provider: args.provider, task, media: args.media, options: args.options, label: args.label })))
    .digest("hex");
}

// Start, refresh, wait, cancel. The one place that moves jobs between the adapters and the
// store: dedupes by idempotency key, commits a job before start returns, fetches results once.

import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  ConflictError,
  MediaJobsError,
  NotConfiguredError,
  NotFoundError,
  ProviderError,
  UnsupportedError,
  UserInputError,
} from "../errors.js";
import type { Logger } from "../logger.js";
import type { CallContext, MediaInput, ProviderAdapter, ResultSink } from "../providers/provider.js";
import type { ProviderRegistry } from "../providers/registry.js";
import type { JobStore } from "../store/store.js";
import {
  applySnapshot,
  isTerminal,
  jobId,
  parseJobId,
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
  now?: () => number;
}

const POLL_BACKOFF_FACTOR = 1.5;
/** 404s in a row after which a job is taken as gone at the vendor. */
const MAX_NOT_FOUND_POLLS = 5;

export class JobService {
  readonly events = new EventEmitter<{ updated: [JobUpdate] }>();
  private readonly store: JobStore;
  private readonly registry: ProviderRegistry;
  private readonly logger: Logger;
  private readonly options: JobServiceOptions;
  private readonly now: () => number;
  /** One refresh per job at a time; concurrent callers share it. */
  private readonly refreshing = new Map<string, Promise<Job>>();

  constructor(options: JobServiceOptions) {
    this.options = options;
    this.store = options.store;
    this.registry = options.registry;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.events.setMaxListeners(0);
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
    if (args.idempotencyKey) {
      const existing = this.store.reserveIdempotencyKey({ key: args.idempotencyKey, owner, fingerprint });
      if (existing) {
        if (existing.fingerprint !== fingerprint) {
          throw new ConflictError(
            `idempotency_key "${args.idempotencyKey}" was already used with different arguments; use a new key for a new job`,
          );
        }
        if (!existing.jobId) {
          throw new ConflictError(
            `a job with idempotency_key "${args.idempotencyKey}" is being submitted right now; call list_jobs in a moment`,
          );
        }
        const job = this.store.getJob(existing.jobId);
        if (job) return { job, deduplicated: true };
      }
    }

    let snapshot: JobSnapshot;
    try {
      snapshot = await adapter.start(
        {
          task,
          media: args.media,
          options: args.options,
          label: args.label,
          idempotencyKey: args.idempotencyKey,
          webhookUrl: this.options.publicUrl ? `${this.options.publicUrl}/webhooks/${args.provider}` : undefined,
        },
        context,
      );
    } catch (error) {
      // The key is released only when the vendor certainly did not take the job; otherwise a
      // retry with the same key must not submit (and pay for) a second one.
      if (args.idempotencyKey && !(error instanceof ProviderError && error.mayHaveReachedVendor)) {
        this.store.releaseIdempotencyKey(args.idempotencyKey, owner);
      }
      throw error;
    }

    const nowIso = new Date(this.now()).toISOString();
    const job: Job = {
      id: jobId(args.provider, snapshot.nativeId),
      provider: args.provider,
      nativeId: snapshot.nativeId,
      task,
      label: args.label,
      status: "queued",
      inputs: snapshot.inputs ?? args.media.map(describeInput),
      options: args.options,
      createdAt: snapshot.createdAt ?? nowIso,
      updatedAt: nowIso,
      owner: args.owner,
      resultState: "none",
      pollCount: 0,
    };
    let stored = applySnapshot(job, snapshot, new Date(this.now()));
    stored = { ...stored, nextPollAt: this.now() + this.pollDelay(adapter, 0) };
    // Committed before start_job returns (DESIGN §3): a crash from here on cannot lose the job.
    this.store.insertJob(stored);
    if (args.idempotencyKey) this.store.completeIdempotencyKey(args.idempotencyKey, owner, stored.id);
    this.logger.info(`job ${stored.id} started`, { provider: args.provider, task });
    this.emit(stored, undefined);
    if (stored.status === "succeeded") return { job: await this.refresh(stored.id), deduplicated: false };
    return { job: stored, deduplicated: false };
  }

  /** Our stored record; a job started elsewhere is looked up at its vendor and adopted. */
  async get(id: string, owner?: string): Promise<Job> {
    const stored = this.store.getJob(id);
    if (stored) {
      this.assertOwner(stored, owner);
      return stored;
    }
    const parsed = parseJobId(id);
    if (!parsed) {
      throw new UserInputError(
        `job_id "${id}" is not a job id: it looks like "<provider>:<native id>", e.g. "pyannote:3f2c…"; list_jobs shows yours`,
      );
    }
    const adapter = this.registry.require(parsed.provider);
    if (!adapter.describe().configured || parsed.provider === "local") {
      throw new NotFoundError(`no job ${id} here; list_jobs shows the jobs this server knows`);
    }
    const snapshot = await adapter.get(parsed.nativeId, undefined, {});
    return this.adopt(adapter, snapshot, owner);
  }

  /**
   * The job as the vendor sees it now when our copy is older than `maxAgeMs` (the poller backs
   * off on long jobs, so a direct question gets a direct look); a vendor hiccup returns our copy.
   */
  async getFresh(id: string, owner: string | undefined, maxAgeMs: number): Promise<Job> {
    const job = await this.get(id, owner);
    return this.isStale(job, maxAgeMs) ? this.refreshSafely(job) : job;
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
    const running = this.refreshing.get(id);
    if (running) return running;
    const work = this.refreshNow(id).finally(() => this.refreshing.delete(id));
    this.refreshing.set(id, work);
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
    let job = await this.get(id, options.owner);
    if (seconds <= 0 || isSettled(job)) return job;
    const deadline = this.now() + seconds * 1000;
    const adapter = this.registry.require(job.provider);
    // Someone is waiting: look at the brisk cadence, not the poller's backed-off one.
    const brisk = this.pollDelay(adapter, 0);
    if (this.isStale(job, brisk)) job = await this.refreshSafely(job);
    while (!isSettled(job) && this.now() < deadline && !options.signal?.aborted) {
      options.onProgress?.(job);
      const step = Math.min(brisk, Math.max(0, deadline - this.now()));
      job = (await this.nextUpdate(id, step, options.signal)) ?? this.store.getJob(id) ?? job;
      if (!isSettled(job) && this.isStale(job, brisk)) job = await this.refreshSafely(job);
    }
    return job;
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
    const job = this.store.getJob(id);
    if (!job) return undefined;
    if (!snapshot) return this.refresh(id);
    const updated = this.save(job, applySnapshot(job, snapshot, new Date(this.now())));
    return isSettled(updated) ? updated : this.refresh(id);
  }

  /** Adopts vendor-side jobs (from a remote listing) so they can be read like ours. */
  adopt(adapter: ProviderAdapter, snapshot: JobSnapshot, owner?: string): Job {
    const id = jobId(adapter.id, snapshot.nativeId);
    const existing = this.store.getJob(id);
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
      this.store.insertJob(job);
    } catch {
      return this.store.getJob(id) ?? job;
    }
    this.emit(job, undefined);
    return job;
  }

  /** Jobs the poller should refresh now. */
  dueJobs(): Job[] {
    return this.store.listJobsDue(this.now());
  }

  /** Refresh, but a vendor hiccup while waiting leaves the job as it was (the poller retries). */
  private async refreshSafely(job: Job): Promise<Job> {
    try {
      return await this.refresh(job.id);
    } catch (error) {
      if (error instanceof ProviderError && error.retryable) return this.store.getJob(job.id) ?? job;
      throw error;
    }
  }

  private async refreshNow(id: string): Promise<Job> {
    const job = this.store.getJob(id);
    if (!job) throw new NotFoundError(`no job ${id} here`);
    const adapter = this.registry.require(job.provider);
    let current = job;
    if (!isTerminal(job.status)) {
      try {
        const snapshot = await adapter.get(job.nativeId, job, {});
        current = applySnapshot(job, snapshot, new Date(this.now()));
        current.pollCount = job.pollCount + 1;
        current.pollFailures = 0;
        current.nextPollAt = this.now() + this.pollDelay(adapter, current.pollCount);
        current = this.save(job, current);
      } catch (error) {
        this.recordPollFailure(job, adapter, error);
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
      const fetched = await adapter.fetchResults(job, sink, {});
      this.store.putResultIndex(job.id, fetched.index, fetched.description);
      this.logger.info(`job ${job.id} results stored`, { description: fetched.description });
      return this.save(job, { ...job, resultState: "stored", nextPollAt: undefined, updatedAt: new Date(this.now()).toISOString() });
    } catch (error) {
      if (error instanceof ProviderError && error.retryable) {
        const pollCount = job.pollCount + 1;
        this.store.saveJob({ ...job, pollCount, nextPollAt: this.now() + this.pollDelay(adapter, pollCount) });
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

  private recordPollFailure(job: Job, adapter: ProviderAdapter, error: unknown): void {
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
      this.save(job, { ...ended, pollCount, pollFailures, nextPollAt: undefined });
      return;
    }
    const retryAfterMs = error instanceof ProviderError && error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 0;
    const delay = Math.max(this.pollDelay(adapter, pollCount), retryAfterMs);
    this.store.saveJob({ ...job, pollCount, pollFailures, nextPollAt: this.now() + delay });
    const message = error instanceof MediaJobsError ? error.message : String(error);
    this.logger.warning(`refreshing ${job.id} failed; will retry`, { error: message });
  }

  private save(previous: Job, next: Job): Job {
    this.store.saveJob(next);
    if (previous.status !== next.status || previous.resultState !== next.resultState || progressChanged(previous, next)) {
      this.emit(next, previous.status);
    }
    return next;
  }

  private emit(job: Job, previousStatus: JobStatus | undefined): void {
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

  private assertOwner(job: Job, owner: string | undefined): void {
    if (owner !== undefined && job.owner !== undefined && job.owner !== owner) {
      throw new NotFoundError(`no job ${job.id} here; list_jobs shows yours`);
    }
  }
}

/** A job needs nothing more from its vendor: ended, and results stored (or unobtainable). */
export function isSettled(job: Job): boolean {
  return isTerminal(job.status) && (job.status !== "succeeded" || job.resultState !== "none");
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

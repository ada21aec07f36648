// Files for remote users (HTTP mode): create_upload makes a short-lived, single-use,
// size-limited upload URL bound to its creator; its one PUT streams the bytes into the job
// store (any replica can take them, any can use them); start_job's `{upload: id}` takes the
// file once, as a temporary local file for the adapter, removed when its job has settled.

import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConflictError, NotFoundError, UserInputError } from "../errors.js";
import { isSettled } from "../jobs/job-service.js";
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger.js";
import type { CallContext, MediaInput, ProviderAdapter, ResultSink } from "../providers/provider.js";
import type { JobStore } from "../store/store.js";
import { UPLOAD_CHUNK_BYTES, type UploadRecord } from "../store/upload-store.js";

/** Where uploads become files for the adapters: `<root>/<upload id>/<file name>`. */
export const UPLOAD_FILES_ROOT = path.join(os.tmpdir(), "media-jobs-uploads");
const UPLOAD_ID_PATTERN = /^up_[A-Za-z0-9_-]{22}$/;
/** A PUT cut off mid-way leaves its upload "receiving": after this long past expiry it is dropped. */
const STALLED_GRACE_MS = 60 * 60_000;
/** A consumed upload whose start_job never named its job (the process died) is dropped after this. */
const UNATTACHED_CONSUMED_MS = 24 * 60 * 60_000;
const SWEEP_EVERY_MS = 60_000;

export interface CreatedUpload {
  id: string;
  url: string;
  expiresAt: number;
  maxBytes: number;
}

/** Why a PUT is refused, as an HTTP status and a message for whoever runs curl. */
export interface UploadRefusal {
  status: number;
  message: string;
}

/** One PUT being received: chunks go to the store as they fill. */
export interface UploadReceiver {
  maxBytes: number;
  /** The owner's stored-bytes quota (MEDIA_JOBS_MAX_UPLOAD_STORAGE_MB_PER_USER). */
  quotaBytes: number;
  /**
   * "too-large" once the body passes the limit, "over-quota" once it would take its owner past
   * the stored-bytes quota (the upload is then reset either way), "gone" when the upload vanished.
   */
  write(chunk: Buffer): Promise<"ok" | "too-large" | "over-quota" | "gone">;
  /** "over-quota" when the last bytes do not fit the quota (the upload is then reset). */
  finish(): Promise<{ bytes: number; expiresAt: number } | "over-quota">;
  /** Drops what was stored; the URL may be used again until it expires. */
  abort(): Promise<void>;
}

export class UploadService {
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly options: {
      maxBytes: number;
      expiryMs: number;
      /** Per owner: uploads not yet settled (MEDIA_JOBS_MAX_UPLOADS_PER_USER), and their stored bytes. */
      maxOpenPerOwner: number;
      maxStoredBytesPerOwner: number;
      logger: Logger;
      now?: () => number;
      filesRoot?: string;
    },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private get root(): string {
    return this.options.filesRoot ?? UPLOAD_FILES_ROOT;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** A new upload for `owner` ("" for none); `baseUrl` is this server's public origin. */
  async create(owner: string, filename: string, baseUrl: string): Promise<CreatedUpload> {
    const id = `up_${randomBytes(16).toString("base64url")}`;
    const secret = randomBytes(32).toString("base64url");
    const now = this.now();
    // Consumed uploads count until the sweep drops them: at the limit this owner's are swept first, so one whose job has settled frees its place now.
    let usage = await this.store.uploads.usage(owner, now);
    if (usage.open >= this.options.maxOpenPerOwner) {
      await this.dropSettled(owner);
      usage = await this.store.uploads.usage(owner, now);
    }
    if (usage.open >= this.options.maxOpenPerOwner) {
      const oldest = usage.oldestExpiresAt === undefined ? "" : `; the oldest unused one expires at ${new Date(usage.oldestExpiresAt).toISOString()}`;
      throw new ConflictError(
        `you have ${usage.open} open uploads (the limit, MEDIA_JOBS_MAX_UPLOADS_PER_USER=${this.options.maxOpenPerOwner})${oldest}; used ones free up when their job settles`,
      );
    }
    const record: UploadRecord = {
      id,
      owner,
      secretHash: hashSecret(secret),
      filename,
      maxBytes: this.options.maxBytes,
      state: "pending",
      bytes: 0,
      createdAt: now,
      expiresAt: now + this.options.expiryMs,
    };
    await this.store.uploads.create(record);
    return { id, url: `${baseUrl.replace(/\/+$/, "")}/uploads/${id}/${secret}`, expiresAt: record.expiresAt, maxBytes: record.maxBytes };
  }

  /**
   * Opens the one PUT of an upload URL. Unknown ids and wrong secrets get the same 404; a used
   * URL 409, an expired one 410, a declared size over the limit 413 (nothing is read or stored).
   */
  async beginReceive(id: string, secret: string, declaredBytes: number | undefined, contentType: string | undefined): Promise<UploadReceiver | UploadRefusal> {
    const notFound: UploadRefusal = { status: 404, message: "no such upload URL; create_upload gives a new one" };
    if (!UPLOAD_ID_PATTERN.test(id)) return notFound;
    const record = await this.store.uploads.get(id);
    if (!record || !sameHash(record.secretHash, hashSecret(secret))) return notFound;
    const now = this.now();
    if (record.state === "receiving") return { status: 409, message: "this upload URL is receiving a file right now; it takes one PUT" };
    if (record.state !== "pending") return { status: 409, message: "this upload URL was already used (it takes one PUT); create_upload gives a new one" };
    if (record.expiresAt <= now) return { status: 410, message: `this upload URL expired at ${new Date(record.expiresAt).toISOString()}; create_upload gives a new one` };
    if (declaredBytes !== undefined && declaredBytes > record.maxBytes) return tooLarge(record.maxBytes);
    if (declaredBytes !== undefined && !(await this.fitsQuota(record.owner, declaredBytes, now))) return this.overQuota();
    if (!(await this.store.uploads.beginReceiving(id, record.secretHash, now))) {
      return { status: 409, message: "this upload URL was already used (it takes one PUT); create_upload gives a new one" };
    }
    const uploads = this.store.uploads;
    let total = 0;
    let index = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (all: boolean): Promise<"ok" | "gone" | "over-quota"> => {
      while (pendingBytes >= UPLOAD_CHUNK_BYTES || (all && pendingBytes > 0)) {
        const joined = Buffer.concat(pending, pendingBytes);
        const take = Math.min(UPLOAD_CHUNK_BYTES, joined.length);
        const chunk = joined.subarray(0, take);
        let stored = await uploads.appendChunk(id, index, chunk, this.quota());
        if (stored === "over-quota") {
          // Settled jobs' uploads may still count until swept: sweep this owner's, then ask again.
          await this.dropSettled(record.owner);
          stored = await uploads.appendChunk(id, index, chunk, this.quota());
        }
        if (stored !== "stored") {
          if (stored === "over-quota") await uploads.abortReceiving(id);
          return stored;
        }
        index++;
        pending = take < joined.length ? [joined.subarray(take)] : [];
        pendingBytes = joined.length - take;
      }
      return "ok";
    };
    return {
      maxBytes: record.maxBytes,
      quotaBytes: this.options.maxStoredBytesPerOwner,
      write: async (chunk) => {
        total += chunk.length;
        if (total > record.maxBytes) {
          await uploads.abortReceiving(id);
          return "too-large";
        }
        pending.push(chunk);
        pendingBytes += chunk.length;
        return flush(false);
      },
      finish: async () => {
        const flushed = await flush(true);
        if (flushed === "over-quota") return "over-quota";
        if (flushed !== "ok") throw new NotFoundError(`upload ${id} is gone`);
        const expiresAt = this.now() + this.options.expiryMs;
        await uploads.finishReceiving(id, total, expiresAt, contentType);
        return { bytes: total, expiresAt };
      },
      abort: () => uploads.abortReceiving(id),
    };
  }

  private quota(): { maxBytes: number; now: number } {
    return { maxBytes: this.options.maxStoredBytesPerOwner, now: this.now() };
  }

  /** Whether `bytes` more fit the owner's stored-bytes quota now (swept first when they seem not to). */
  private async fitsQuota(owner: string, bytes: number, now: number): Promise<boolean> {
    const fits = async () => (await this.store.uploads.usage(owner, now)).bytes + bytes <= this.options.maxStoredBytesPerOwner;
    if (await fits()) return true;
    await this.dropSettled(owner);
    return fits();
  }

  private overQuota(): UploadRefusal {
    return overQuota(this.options.maxStoredBytesPerOwner);
  }

  /**
   * Takes an upload for start_job, once: consumed in the store and written to a temporary file
   * that the adapter reads. Another principal's upload answers as one that does not exist.
   */
  async take(id: string, owner: string): Promise<Extract<MediaInput, { kind: "path" }>> {
    const consumed = UPLOAD_ID_PATTERN.test(id) ? await this.store.uploads.consume(id, owner, this.now()) : undefined;
    if (!consumed) throw this.unusable(id, UPLOAD_ID_PATTERN.test(id) ? await this.store.uploads.get(id, owner) : undefined);
    try {
      return await this.materialize(consumed);
    } catch (error) {
      await this.giveBack(id);
      throw error;
    }
  }

  /**
   * The media item an upload became in the job of this owner's `idempotencyKey`, when that job
   * used it: a start_job retried after a lost answer passes the same upload again and must get
   * its job back, not "already used". Undefined otherwise (the upload is then taken as usual).
   */
  async usedUnderKey(id: string, owner: string, idempotencyKey: string): Promise<Extract<MediaInput, { kind: "path" }> | undefined> {
    if (!UPLOAD_ID_PATTERN.test(id)) return undefined;
    const bound = await this.store.findIdempotencyKey(idempotencyKey, owner);
    if (!bound?.jobId) return undefined;
    const record = await this.store.uploads.get(id, owner);
    if (record) {
      if (record.state !== "consumed" || record.jobId !== bound.jobId) return undefined;
      return { kind: "path", path: path.join(this.root, record.id, safeFileName(record.filename)), name: record.filename, bytes: record.bytes };
    }
    // Dropped once its job settled: the job's own input says what the first call passed.
    const job = await this.store.getJob(bound.jobId);
    const input = job?.inputs.find((item) => item.kind === "path" && path.dirname(item.path) === path.join(this.root, id));
    return input?.kind === "path" && input.bytes !== undefined ? { kind: "path", path: input.path, name: input.name, bytes: input.bytes } : undefined;
  }

  /** Undoes `take` when start_job made no job of it: the upload may be used again. */
  async giveBack(id: string): Promise<void> {
    await this.store.uploads.unconsume(id);
    await fs.promises.rm(path.join(this.root, id), { recursive: true, force: true });
  }

  /** Names the job that used an upload: it is dropped once that job has settled. */
  async attach(id: string, jobId: string): Promise<void> {
    await this.store.uploads.attachJob(id, jobId);
  }

  private unusable(id: string, record: UploadRecord | undefined): Error {
    const shown = id.slice(0, 40);
    if (!record) return new NotFoundError(`upload ${shown} not found; create_upload gives a new one (its id goes in media as {upload})`);
    if (record.state === "consumed") {
      // Its job is named: a start_job retried after a lost answer finds the job it made.
      const job = record.jobId ? ` ${record.jobId}` : "";
      return new UserInputError(`upload ${shown} was already used by a job${job}; an upload is used once, create_upload gives a new one`);
    }
    if (record.expiresAt <= this.now()) {
      return new UserInputError(`upload ${shown} expired at ${new Date(record.expiresAt).toISOString()}; create_upload gives a new one`);
    }
    return new UserInputError(`upload ${shown} is not finished: PUT the file to its URL first (one PUT; create_upload's answer shows how)`);
  }

  private async materialize(record: UploadRecord): Promise<Extract<MediaInput, { kind: "path" }>> {
    const directory = path.join(this.root, record.id);
    await fs.promises.mkdir(directory, { recursive: true, mode: 0o700 });
    const file = path.join(directory, safeFileName(record.filename));
    // Its own partial name: two callers writing the same upload at once each rename a whole file.
    const partial = `${file}.${randomUUID()}.part`;
    const handle = await fs.promises.open(partial, "w", 0o600);
    let written = 0;
    try {
      for await (const chunk of this.store.uploads.readChunks(record.id)) {
        await handle.write(chunk);
        written += chunk.length;
      }
    } finally {
      await handle.close();
    }
    if (written !== record.bytes) {
      await fs.promises.rm(partial, { force: true });
      throw new Error(`upload ${record.id}: ${written} bytes stored of ${record.bytes}`);
    }
    await fs.promises.rename(partial, file);
    return { kind: "path", path: file, name: record.filename, bytes: record.bytes };
  }

  /**
   * The job with its upload files where this machine keeps them, written again from the store
   * when this machine lacks them: a job resumed by another replica (whose temporary directory
   * may be another path, and lacks the file) or after its temporary directory was cleared.
   */
  async ensureFiles(job: Job): Promise<Job> {
    let moved = false;
    const inputs = [];
    for (const input of job.inputs) {
      const id = input.kind === "path" ? this.uploadIdOf(input.path) : undefined;
      const record = id ? await this.store.uploads.get(id, job.owner ?? "") : undefined;
      if (input.kind !== "path" || !id || record?.state !== "consumed" || path.basename(input.path) !== safeFileName(record.filename)) {
        inputs.push(input);
        continue;
      }
      const here = path.join(this.root, id, safeFileName(record.filename));
      if (!fs.existsSync(here)) {
        this.options.logger.info(`upload ${id} of job ${job.id} written again from the store`);
        await this.materialize(record);
      }
      moved ||= here !== input.path;
      inputs.push({ ...input, path: here });
    }
    return moved ? { ...job, inputs } : job;
  }

  /** The upload a path start_job made names (`<any upload root>/<upload id>/<file name>`, the root maybe another machine's). */
  private uploadIdOf(file: string): string | undefined {
    const directory = path.dirname(file);
    const id = path.basename(directory);
    return UPLOAD_ID_PATTERN.test(id) && path.basename(path.dirname(directory)) === path.basename(this.root) ? id : undefined;
  }

  /** The adapter with its job's upload files ensured before it reads them (a resumed or refetched job). */
  withFiles(adapter: ProviderAdapter): ProviderAdapter {
    return new Proxy(adapter, {
      get: (target, property) => {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== "function") return value;
        if (property === "get") {
          return async (nativeId: string, job: Job | undefined, context: CallContext) =>
            target.get(nativeId, job ? await this.ensureFiles(job) : job, context);
        }
        if (property === "fetchResults") {
          return async (job: Job, sink: ResultSink, context: CallContext) => target.fetchResults(await this.ensureFiles(job), sink, context);
        }
        return (value as (...parameters: unknown[]) => unknown).bind(target);
      },
    });
  }

  /**
   * Drops expired uploads nobody used, PUTs that stalled, and the uploads (and their files
   * here) whose jobs have settled — only `owner`'s when given (a quota reached: what frees
   * up is counted now, not at the next sweep, and a user at the quota makes no work for others).
   */
  private async dropSettled(owner?: string): Promise<void> {
    const now = this.now();
    for (const record of await this.store.uploads.listForSweep(now, now - STALLED_GRACE_MS)) {
      if (owner !== undefined && record.owner !== owner) continue;
      if (record.state === "consumed") {
        const job = record.jobId ? await this.store.getJob(record.jobId) : undefined;
        const done = record.jobId ? !job || isSettled(job) : now - (record.consumedAt ?? now) > UNATTACHED_CONSUMED_MS;
        if (!done) continue;
      }
      await this.store.uploads.delete(record.id);
      await fs.promises.rm(path.join(this.root, record.id), { recursive: true, force: true });
    }
  }

  /**
   * Drops expired uploads nobody used, PUTs that stalled, and the uploads (and their files
   * here) whose jobs have settled; removes files here whose upload is gone.
   */
  async sweep(): Promise<void> {
    await this.dropSettled();
    let names: string[] = [];
    try {
      names = await fs.promises.readdir(this.root);
    } catch {
      return;
    }
    for (const name of names) {
      if (!UPLOAD_ID_PATTERN.test(name) || (await this.store.uploads.get(name))) continue;
      await fs.promises.rm(path.join(this.root, name), { recursive: true, force: true });
    }
  }

  start(): void {
    this.sweeper ??= setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.options.logger.warning("upload sweep failed", { error: error instanceof Error ? error.message : String(error) }),
      );
    }, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

function sameHash(stored: string, given: string): boolean {
  const a = Buffer.from(stored, "hex");
  const b = Buffer.from(given, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The 413 of a PUT that would take its owner past MEDIA_JOBS_MAX_UPLOAD_STORAGE_MB_PER_USER. */
export function overQuota(maxBytes: number): UploadRefusal {
  return {
    status: 413,
    message: `this file would take your stored uploads past ${formatMegabytes(maxBytes)} (MEDIA_JOBS_MAX_UPLOAD_STORAGE_MB_PER_USER); nothing was kept. Uploads free up when their job settles or they expire`,
  };
}

function tooLarge(maxBytes: number): UploadRefusal {
  return { status: 413, message: `the file is larger than this upload's limit of ${formatMegabytes(maxBytes)} (MEDIA_JOBS_MAX_UPLOAD_MB); nothing was kept` };
}

export function formatMegabytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/** The name the adapters see: the user's file name without directories or control characters. */
export function safeFileName(name: string): string {
  const base = name.replace(/[\\/]/g, "_").replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return base === "" || base === "." || base === ".." ? "upload" : base.slice(0, 200);
}

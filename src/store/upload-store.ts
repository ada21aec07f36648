// Files remote users send for their jobs (create_upload, then PUT, then start_job's
// `{upload: id}`), kept in the job store in chunks so that every replica on one database can
// take the bytes, and any of them can use them.

/** Bytes per stored chunk (one row each). */
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;

export type UploadState =
  /** Created; waiting for its one PUT. */
  | "pending"
  /** A PUT is streaming its bytes in. */
  | "receiving"
  /** Every byte stored; usable once in start_job. */
  | "complete"
  /** Used by a start_job: kept until that job has settled, for a replica that resumes it. */
  | "consumed";

export interface UploadRecord {
  /** Public id, given to start_job; not a secret. */
  id: string;
  /** The principal that created it ("" for none: stdio or HTTP without a token). */
  owner: string;
  /** SHA-256 (hex) of the secret in the upload URL; the secret itself is never stored. */
  secretHash: string;
  filename: string;
  contentType?: string;
  maxBytes: number;
  state: UploadState;
  /** Stored bytes (all of them once complete). */
  bytes: number;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms after which an upload not yet used is gone. */
  expiresAt: number;
  /** The job that used it, once known. */
  jobId?: string;
  /** Epoch ms it was consumed. */
  consumedAt?: number;
}

/** What one owner's uploads not yet settled hold (see UploadStore.usage). */
export interface UploadUsage {
  /** Uploads pending, receiving, complete (unexpired) or consumed (until dropped after their job settles). */
  open: number;
  /** Their stored bytes. */
  bytes: number;
  /** Epoch ms: the earliest expiry among the open ones not consumed; undefined when all are consumed. */
  oldestExpiresAt?: number;
}

/** Per-owner limit on stored bytes, checked by appendChunk as it stores. */
export interface OwnerByteQuota {
  maxBytes: number;
  now: number;
}

export interface UploadStore {
  create(record: UploadRecord): Promise<void>;
  /**
   * The record; with `owner`, only when it is theirs (another principal's upload is not there
   * for them). Without, for the upload URL, which proves itself by its secret.
   */
  get(id: string, owner?: string): Promise<UploadRecord | undefined>;
  /**
   * Takes the upload for its one PUT: only a pending upload whose secret hash matches and that
   * has not expired by `now`, moved to "receiving" in one step (two PUTs at once: one wins).
   */
  beginReceiving(id: string, secretHash: string, now: number): Promise<UploadRecord | undefined>;
  /**
   * Stores chunk `index` (0, 1, …) of an upload that is receiving: "gone" when it no longer is.
   * With `quota`, "over-quota" (nothing stored) when the owner's usage bytes plus this chunk
   * would pass `quota.maxBytes`; the check and the write are one step per owner, so PUTs of one
   * owner racing on any handles never store past the quota together.
   */
  appendChunk(id: string, index: number, data: Uint8Array, quota?: OwnerByteQuota): Promise<"stored" | "gone" | "over-quota">;
  /** Receiving → complete with its size (and the PUT's content type); usable until `expiresAt`. */
  finishReceiving(id: string, bytes: number, expiresAt: number, contentType?: string): Promise<void>;
  /** A PUT that failed (too large, cut off): its chunks are dropped and the upload is pending again. */
  abortReceiving(id: string): Promise<void>;
  /** Complete → consumed for its owner, not expired by `now`, in one step; undefined otherwise. */
  consume(id: string, owner: string, now: number): Promise<UploadRecord | undefined>;
  /** Consumed → complete again (the start_job that used it failed before any job existed). */
  unconsume(id: string): Promise<void>;
  /** Records which job used a consumed upload. */
  attachJob(id: string, jobId: string): Promise<void>;
  /**
   * The owner's uploads not yet settled, as of `now`: all but pending or complete ones expired
   * by then (those are gone for the user; the sweep drops them).
   */
  usage(owner: string, now: number): Promise<UploadUsage>;
  /** Chunks in order. */
  readChunks(id: string): AsyncIterable<Buffer>;
  /** Drops the upload and its bytes. */
  delete(id: string): Promise<void>;
  /**
   * Uploads to look at for cleanup: not consumed and expired by `now`, receiving and expired
   * before `stalledBefore`, or consumed (the caller checks their jobs).
   */
  listForSweep(now: number, stalledBefore: number): Promise<UploadRecord[]>;
}

/**
 * An `uploads` row as both stores read it back (PostgreSQL returns its bigints as strings,
 * SQLite as numbers).
 */
export interface UploadRow {
  id: string;
  owner: string;
  secret_hash: string;
  filename: string;
  content_type: string | null;
  max_bytes: number | string;
  state: string;
  bytes: number | string;
  created_at: number | string;
  expires_at: number | string;
  job_id: string | null;
  consumed_at: number | string | null;
}

export function uploadRecordOf(row: UploadRow): UploadRecord {
  return {
    id: row.id,
    owner: row.owner,
    secretHash: row.secret_hash,
    filename: row.filename,
    ...(row.content_type !== null ? { contentType: row.content_type } : {}),
    maxBytes: Number(row.max_bytes),
    state: row.state as UploadState,
    bytes: Number(row.bytes),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    ...(row.job_id !== null ? { jobId: row.job_id } : {}),
    ...(row.consumed_at !== null ? { consumedAt: Number(row.consumed_at) } : {}),
  };
}

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
  /** Stores chunk `index` (0, 1, …) of an upload that is receiving; false when it no longer is. */
  appendChunk(id: string, index: number, data: Uint8Array): Promise<boolean>;
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

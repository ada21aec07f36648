// Typed errors. Handlers throw these; one boundary (server.ts) turns them into `isError`
// tool results. Every `message` here is safe to show to the model and the user: it never
// carries an API key or a raw vendor response body.

export type ErrorCode =
  | "invalid_input"
  | "not_found"
  | "unsupported"
  | "conflict"
  | "provider_error"
  | "not_configured"
  | "forbidden"
  | "storage_full"
  | "store_unavailable"
  | "damaged_record";

export class MediaJobsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The caller's input is wrong; the message says how to fix the call. */
export class UserInputError extends MediaJobsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("invalid_input", message, options);
  }
}

export class NotFoundError extends MediaJobsError {
  constructor(message: string) {
    super("not_found", message);
  }
}

/** The operation exists in the tool surface but this provider (or job) cannot do it. */
export class UnsupportedError extends MediaJobsError {
  constructor(message: string) {
    super("unsupported", message);
  }
}

/** An idempotency key reused with different arguments, and similar state clashes. */
export class ConflictError extends MediaJobsError {
  constructor(message: string) {
    super("conflict", message);
  }
}

export class NotConfiguredError extends MediaJobsError {
  constructor(message: string) {
    super("not_configured", message);
  }
}

export class ForbiddenError extends MediaJobsError {
  constructor(message: string) {
    super("forbidden", message);
  }
}

/**
 * The data directory has no room (SQLITE_FULL or ENOSPC). Reported as such, not as an internal
 * error: the user can act on it, and start_job sends nothing to a vendor it cannot record.
 */
export class StorageFullError extends MediaJobsError {
  /** The data directory, or with `database` the PostgreSQL database (user@host:port/db). */
  readonly dataDir: string;
  readonly database: boolean;
  /** `detail` says what happened because of it; `next` what to do once there is room (default: try again). */
  constructor(dataDir: string, detail?: string, options?: { cause?: unknown; next?: string; database?: boolean }) {
    const full = options?.database
      ? `the PostgreSQL database is full (${dataDir})${detail ? `: ${detail}` : ""}. Free some space on the database server`
      : `the data directory is full (${dataDir})${detail ? `: ${detail}` : ""}. Free some space there (or point MEDIA_JOBS_DATA_DIR at a disk with room)`;
    super("storage_full", `${full}, then ${options?.next ?? "try again"}`, options);
    this.dataDir = dataDir;
    this.database = options?.database ?? false;
  }
}

/** A stored job record that cannot be read (not JSON, or not a job): it is set aside, never guessed at. */
export class DamagedRecordError extends MediaJobsError {
  constructor(message: string) {
    super("damaged_record", message);
  }
}

export interface ProviderErrorDetails {
  provider: string;
  /** HTTP status from the vendor, or undefined for network-level failures. */
  status?: number;
  /** Whether the same request may succeed if tried again later. */
  retryable: boolean;
  /** Seconds the vendor asked us to wait (Retry-After), when it said so. */
  retryAfterSeconds?: number;
  /**
   * Whether the request bytes may have reached the vendor. A POST that starts paid work is
   * never re-sent once this is true.
   */
  mayHaveReachedVendor?: boolean;
  /**
   * Not sent at all: our own request budget had no slot in time (background polling yields to
   * tool calls; a waiting call stops at its deadline). Nothing failed at the vendor.
   */
  notSentForBudget?: boolean;
}

/**
 * A vendor call failed. `message` is built by us from the status and a vetted vendor
 * message (already redacted), never the raw body.
 */
export class ProviderError extends MediaJobsError {
  readonly provider: string;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly mayHaveReachedVendor: boolean;
  readonly notSentForBudget: boolean;
  constructor(message: string, details: ProviderErrorDetails, options?: { cause?: unknown }) {
    super("provider_error", message, options);
    this.provider = details.provider;
    this.status = details.status;
    this.retryable = details.retryable;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.mayHaveReachedVendor = details.mayHaveReachedVendor ?? true;
    this.notSentForBudget = details.notSentForBudget ?? false;
  }
}

/**
 * The job store's database cannot be reached right now (PostgreSQL restarting, failing over, a
 * network cut): not a bug, and worth another try in a moment.
 */
export class StoreUnavailableError extends MediaJobsError {
  readonly database: string;
  readonly reason: string;
  /** `detail` says what happened because of it; `next` what to do (default: try again in a moment). */
  constructor(database: string, reason: string, options?: { cause?: unknown; detail?: string; next?: string }) {
    super(
      "store_unavailable",
      `the job database (PostgreSQL ${database}) cannot be reached right now (${reason})${options?.detail ? `: ${options.detail}` : ""}; ` +
        (options?.next ?? "try again in a moment, and if it persists check the database"),
      options,
    );
    this.database = database;
    this.reason = reason;
  }
}

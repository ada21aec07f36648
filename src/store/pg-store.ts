// JobStore on PostgreSQL (MEDIA_JOBS_DATABASE_URL), for a team server with replicas: the same
// semantics as the SQLite store, made safe for several processes on one database. Leases and
// submissions are taken by conditional UPDATEs and row locks, never by a read then a write;
// every committed change to a job row is announced with pg_notify in its own transaction, and
// one LISTEN connection per store passes them to watchJobs listeners in every replica.

import zlib from "node:zlib";
import pg from "pg";
import { StorageFullError, StoreUnavailableError, UserInputError } from "../errors.js";
import { type Job, type ProviderId } from "../jobs/job.js";
import type { Logger } from "../logger.js";
import { createJobRowReader, damageOf, decodeCursor, encodeCursor, JOB_COLUMNS, needsPoll, type JobRow } from "./job-rows.js";
import { migratePostgres } from "./pg-migrations.js";
import { createPgRateWindow } from "./pg-rate-window.js";
import { explainPgOpenFailure, unreachableReason } from "./pg-open-error.js";
import { createPgUploadStore } from "./pg-uploads.js";
import { parsePostgresUrl, type PostgresTarget } from "./pg-url.js";
import type { IdempotencyRecord, JobListPage, JobStore, StoredPart, SubmissionRecord } from "./store.js";

/** The NOTIFY channel of job changes; the payload is the job id. */
export const JOB_CHANGED_CHANNEL = "media_jobs_job_changed";

const DEFAULT_POOL_SIZE = 10;
/** The longest one statement may run: a store call is on the path of a tool answer. */
const STATEMENT_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Reconnection of the LISTEN connection backs off up to this. */
const MAX_LISTEN_RETRY_MS = 5_000;

const TERMINAL = "('succeeded', 'failed', 'canceled')";
/** The database's clock in epoch ms: leases and replay windows run on the clock every replica shares. */
const DATABASE_NOW = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
/** A clock parameter: the store's injected clock (tests) or, when null, the database's. */
const clockAt = (parameter: number) => `COALESCE($${parameter}::bigint, ${DATABASE_NOW})`;

export interface PgJobStoreOptions {
  /** Replaces the database's clock for leases and replay windows (tests). */
  now?: () => number;
  /** Told once per damaged job row found (the row is then set aside). */
  onDamagedJob?: (id: string, damage: string) => void;
  logger?: Logger;
  /** Connections in the pool (default 10), besides the one LISTEN connection. */
  poolSize?: number;
}

function compress(data: Uint8Array): Buffer {
  return zlib.deflateRawSync(data, { level: 6 });
}

function decompress(data: Uint8Array): Buffer {
  return zlib.inflateRawSync(data);
}

/** SQLSTATE class 53 "insufficient resources": disk_full (53100) and out of memory for the data (53200 is the server's memory, not ours). */
function isDatabaseFull(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === "53100";
}

interface SubmissionRow {
  id: string;
  provider: string;
  owner: string;
  idempotency_key: string | null;
  created_at: string;
  holder: string;
  held_until: string;
  alive_at: string;
  data: string;
}

function readSubmission(row: SubmissionRow): SubmissionRecord {
  const data = JSON.parse(row.data) as Pick<SubmissionRecord, "task" | "fingerprint" | "request">;
  return {
    id: row.id,
    provider: row.provider as ProviderId,
    owner: row.owner,
    ...(row.idempotency_key !== null ? { idempotencyKey: row.idempotency_key } : {}),
    createdAt: Number(row.created_at),
    holder: row.holder,
    heldUntil: Number(row.held_until),
    aliveAt: Number(row.alive_at),
    task: data.task,
    fingerprint: data.fingerprint,
    request: data.request,
  };
}

/** Epoch ms or a duration as bigint takes it (bigint refuses a fraction, which SQLite would keep). */
const ms = (value: number): number => Math.round(value);
const optionalMs = (value: number | undefined): number | null => (value === undefined ? null : ms(value));

const jobParameters = (job: Job): unknown[] => [
  job.id,
  job.provider,
  job.task,
  job.status,
  job.owner ?? "",
  job.createdAt,
  needsPoll(job),
  optionalMs(job.nextPollAt),
  JSON.stringify(job),
];

const INSERT_JOB_COLUMNS = "(id, provider, task, status, owner, created_at, needs_poll, next_poll_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/**
 * Opens the store: connects, runs the migrations this version needs (under an advisory lock)
 * and starts listening for job changes. A database that cannot be used is a StoreOpenError
 * whose message is one line naming the database without its password.
 */
export async function openPgJobStore(databaseUrl: string, options: PgJobStoreOptions = {}): Promise<JobStore> {
  const target = parsePostgresUrl(databaseUrl);
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: "media-jobs-mcp",
  });
  // An idle connection the server closed (restart, failover) must not crash the process: the
  // pool drops it and opens another on the next checkout.
  pool.on("error", (error) => options.logger?.warning("a PostgreSQL connection of the job store failed", { error: error.message }));
  let listener: JobChangeListener | undefined;
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, target);
    } finally {
      client.release();
    }
    listener = new JobChangeListener(target, options.logger);
    await listener.start();
  } catch (error) {
    await listener?.stop();
    await pool.end().catch(() => undefined);
    if (isDatabaseFull(error)) throw new StorageFullError(target.description, "the job store cannot be opened", { cause: error, database: true });
    throw explainPgOpenFailure(error, target.description);
  }
  return withStorageErrors(createStore(pool, listener, options), target.description);
}

/**
 * Every store call that fails because the database has no room, or cannot be reached, says so
 * (typed errors the tool boundary shows as they are), instead of an internal error.
 */
function withStorageErrors(store: JobStore, description: string): JobStore {
  const explain = (error: unknown): never => {
    if (isDatabaseFull(error)) throw new StorageFullError(description, undefined, { cause: error, database: true });
    const unreachable = unreachableReason(error);
    if (unreachable) throw new StoreUnavailableError(description, unreachable, { cause: error });
    // PostgreSQL text cannot hold NUL (SQLite can): say which input is at fault, not "internal error".
    if ((error as { code?: unknown } | undefined)?.code === "22021") {
      throw new UserInputError("text with a NUL character (\\u0000) cannot be stored or looked up in this server's database; remove it and try again");
    }
    throw error;
  };
  const guard = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value === "object" && value !== null) return guard(value);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const result = (value as (...parameters: unknown[]) => unknown).apply(object, args);
          return result instanceof Promise ? result.catch(explain) : result;
        };
      },
    });
  return guard(store);
}

/** The one LISTEN connection of a store: hears job changes from every replica, reconnects when it drops. */
class JobChangeListener {
  private readonly listeners = new Set<(jobId: string) => void>();
  private readonly gapListeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = 100;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: PostgresTarget,
    private readonly logger: Logger | undefined,
  ) {}

  subscribe(listener: (jobId: string) => void, onGap?: () => void): () => void {
    // A wrapper per subscription, so the same function subscribed twice unsubscribes once each.
    const entry = (id: string) => listener(id);
    const gapEntry = onGap ? () => onGap() : undefined;
    this.listeners.add(entry);
    if (gapEntry) this.gapListeners.add(gapEntry);
    return () => {
      this.listeners.delete(entry);
      if (gapEntry) this.gapListeners.delete(gapEntry);
    };
  }

  /** Tells every watcher that changes committed while the connection was away went unheard. */
  private announceGap(): void {
    for (const onGap of [...this.gapListeners]) {
      try {
        onGap();
      } catch (error) {
        this.logger?.error("a job change listener failed", { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  /** Connects and listens; throws when the first connection fails (the store does not open). */
  async start(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.target.connectionString,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: "media-jobs-mcp (listen)",
      // A connection that died silently (a dropped NAT entry) is noticed and replaced.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on("notification", (message) => {
      if (message.channel !== JOB_CHANGED_CHANNEL || !message.payload) return;
      for (const listener of [...this.listeners]) {
        try {
          listener(message.payload);
        } catch (error) {
          this.logger?.error("a job change listener failed", { error: error instanceof Error ? error.message : String(error) });
        }
      }
    });
    const lost = (error?: Error) => this.lost(client, error);
    client.on("error", lost);
    client.on("end", () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${JOB_CHANGED_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners("end");
    client.end().catch(() => undefined);
    // Changes committed while we are away are not heard: once back, watchers are told to reload (announceGap).
    this.logger?.warning("lost the PostgreSQL connection that hears job changes from other replicas; reconnecting", {
      ...(error ? { error: error.message } : {}),
    });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.start().then(
        () => {
          this.retryMs = 100;
          this.logger?.info("listening for job changes from other replicas again");
          if (!this.stopped) this.announceGap();
        },
        (error: unknown) => {
          this.retryMs = Math.min(this.retryMs * 2, MAX_LISTEN_RETRY_MS);
          this.logger?.debug("reconnecting the job change listener failed", { error: error instanceof Error ? error.message : String(error) });
          this.scheduleReconnect();
        },
      );
    }, this.retryMs);
    // Nothing to hear is no reason to keep the process alive.
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.listeners.clear();
    this.gapListeners.clear();
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    }
  }
}

function createStore(pool: pg.Pool, listener: JobChangeListener, options: PgJobStoreOptions): JobStore {
  /** The injected clock, or null for the database's own (see clockAt). */
  const clock = (): number | null => (options.now ? ms(options.now()) : null);
  const query = async <Row extends pg.QueryResultRow>(text: string, values: unknown[] = []) => pool.query<Row>(text, values);

  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: unknown) => {
        // The connection is unusable: the pool must not hand it out again.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  };

  let closed = false;

  const { readJob, reportDamage } = createJobRowReader(options.onDamagedJob);

  const keyRecord = async (client: pg.ClientBase | pg.Pool, key: string, owner: string): Promise<IdempotencyRecord | undefined> => {
    const { rows } = await client.query<{ key: string; owner: string; fingerprint: string; job_id: string | null }>(
      "SELECT key, owner, fingerprint, job_id FROM idempotency_keys WHERE key = $1 AND owner = $2",
      [key, owner],
    );
    const existing = rows[0];
    if (!existing) return undefined;
    return { key: existing.key, owner: existing.owner, fingerprint: existing.fingerprint, jobId: existing.job_id ?? undefined };
  };

  /**
   * Reserves a key, or answers the record that holds it. A record deleted between our insert
   * and our read (its submission released it) leaves the key free: try again.
   */
  const reserveKey = async (client: pg.ClientBase | pg.Pool, key: string, owner: string, fingerprint: string, createdAt: number): Promise<IdempotencyRecord | undefined> => {
    for (;;) {
      const inserted = await client.query(
        "INSERT INTO idempotency_keys (key, owner, fingerprint, job_id, created_at) VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (key, owner) DO NOTHING",
        [key, owner, fingerprint, new Date(createdAt).toISOString()],
      );
      if (inserted.rowCount === 1) return undefined;
      const existing = await keyRecord(client, key, owner);
      if (existing) return existing;
    }
  };

  /** Serialises writers of one result part across replicas (the part's chunks are numbered in order). */
  const lockPart = (client: pg.ClientBase, jobId: string, name: string) =>
    client.query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", [jobId, name]);

  const store: JobStore = {
    async insertJob(job) {
      await query(
        `WITH inserted AS (INSERT INTO jobs ${INSERT_JOB_COLUMNS} RETURNING id) SELECT pg_notify('${JOB_CHANGED_CHANNEL}', id) FROM inserted`,
        jobParameters(job),
      );
    },

    async saveJob(job) {
      // One statement: the terminal check and the write see the same row version, whichever replica writes at once.
      const updated = await query(
        `WITH updated AS (
           UPDATE jobs SET status = $2, needs_poll = $3, next_poll_at = $4, data = $5
           WHERE id = $1 AND (status NOT IN ${TERMINAL} OR status = $2) RETURNING id
         ) SELECT pg_notify('${JOB_CHANGED_CHANNEL}', id) FROM updated`,
        [job.id, job.status, needsPoll(job), optionalMs(job.nextPollAt), JSON.stringify(job)],
      );
      if (updated.rowCount === 1) return;
      const { rows } = await query<{ status: string }>("SELECT status FROM jobs WHERE id = $1", [job.id]);
      if (!rows[0]) throw new Error(`job ${job.id} is not in the store`);
      throw new Error(`job ${job.id} is ${rows[0].status}; a terminal status never changes`);
    },

    async getJob(id) {
      const { rows } = await query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]);
      return rows[0] ? readJob(rows[0]) : undefined;
    },

    async listJobs(filter): Promise<JobListPage> {
      const clauses: string[] = [];
      const values: unknown[] = [];
      const parameter = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      if (filter.provider) clauses.push(`provider = ${parameter(filter.provider)}`);
      if (filter.task) clauses.push(`task = ${parameter(filter.task)}`);
      if (filter.statuses && filter.statuses.length > 0) clauses.push(`status = ANY(${parameter(filter.statuses)}::text[])`);
      if (filter.owner !== undefined) clauses.push(`owner = ${parameter(filter.owner)}`);
      if (filter.createdAfter) clauses.push(`created_at >= ${parameter(filter.createdAfter)}`);
      if (filter.createdBefore) clauses.push(`created_at < ${parameter(filter.createdBefore)}`);
      if (filter.cursor) {
        const [createdAt, id] = decodeCursor(filter.cursor);
        clauses.push(`(created_at, id) < (${parameter(createdAt)}, ${parameter(id)})`);
      }
      const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
      const { rows } = await query<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM jobs ${where} ORDER BY created_at DESC, id DESC LIMIT ${parameter(filter.limit + 1)}`,
        values,
      );
      const jobs = rows.slice(0, filter.limit).map(readJob);
      const last = jobs[jobs.length - 1];
      return { jobs, nextCursor: rows.length > filter.limit && last ? encodeCursor(last.createdAt, last.id) : undefined };
    },

    async listJobsDue(dueBy, leaseHolder) {
      const { rows } = await query<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM jobs
         WHERE needs_poll AND (next_poll_at IS NULL OR next_poll_at <= $1)
           AND ($2::text IS NULL OR lease_holder IS NULL OR lease_holder = $2 OR lease_expires_at <= ${clockAt(3)})
         ORDER BY next_poll_at NULLS FIRST`,
        [ms(dueBy), leaseHolder ?? null, clock()],
      );
      const due: Job[] = [];
      for (const row of rows) {
        const read = damageOf(row);
        if (read.job) {
          due.push(read.job);
          continue;
        }
        // Set aside: a damaged row must not fail every poller tick, nor be read again each tick.
        reportDamage(row, read.damage);
        await query("UPDATE jobs SET needs_poll = false WHERE id = $1", [row.id]);
      }
      return due;
    },

    async claimJob(id, holder, durationMs) {
      const at = clock();
      // Our own live lease: extend it (waiting out a write of ours to the row, if one is under way).
      const renewed = await query(
        `UPDATE jobs SET lease_expires_at = ${clockAt(3)} + $4 WHERE id = $1 AND lease_holder = $2 AND lease_expires_at > ${clockAt(3)}`,
        [id, holder, at, ms(durationMs)],
      );
      if (renewed.rowCount === 1) return true;
      // Taking a free or expired lease: a row another replica has locked right now is being
      // taken or written by it, so it is skipped rather than waited for.
      const taken = await query(
        `UPDATE jobs SET lease_holder = $2, lease_expires_at = ${clockAt(3)} + $4
         WHERE id = (
           SELECT id FROM jobs
           WHERE id = $1 AND (lease_holder IS NULL OR lease_holder = $2 OR lease_expires_at <= ${clockAt(3)})
           FOR UPDATE SKIP LOCKED
         )`,
        [id, holder, at, ms(durationMs)],
      );
      return taken.rowCount === 1;
    },

    async renewLeases(holder, durationMs) {
      const renewed = await query(`UPDATE jobs SET lease_expires_at = ${clockAt(2)} + $3 WHERE lease_holder = $1 AND needs_poll`, [holder, clock(), ms(durationMs)]);
      return renewed.rowCount ?? 0;
    },

    async releaseLeases(holder) {
      await query("UPDATE jobs SET lease_holder = NULL, lease_expires_at = NULL WHERE lease_holder = $1", [holder]);
    },

    async requestPoll(id, at) {
      await query("UPDATE jobs SET next_poll_at = $1 WHERE id = $2 AND needs_poll AND (next_poll_at IS NULL OR next_poll_at > $1)", [ms(at), id]);
    },

    async completeJobIds(prefix, limit, owner) {
      // PostgreSQL text cannot hold NUL, so no id starts so (completion must not fail on it).
      if (prefix.includes("\u0000") || owner?.includes("\u0000")) return [];
      // Range scan instead of LIKE so "_" and "%" in ids mean themselves (ids are COLLATE "C").
      const { rows } = await query<{ id: string }>(
        "SELECT id FROM jobs WHERE id >= $1 AND id < $2 AND ($4::text IS NULL OR owner = $4) ORDER BY id LIMIT $3",
        [prefix, prefix + "\uffff", limit, owner ?? null],
      );
      return rows.map((row) => row.id);
    },

    async reserveIdempotencyKey(record) {
      return reserveKey(pool, record.key, record.owner, record.fingerprint, options.now?.() ?? Date.now());
    },

    async findIdempotencyKey(key, owner) {
      return keyRecord(pool, key, owner);
    },

    async completeIdempotencyKey(key, owner, jobId) {
      await query("UPDATE idempotency_keys SET job_id = $1 WHERE key = $2 AND owner = $3", [jobId, key, owner]);
    },

    async releaseIdempotencyKey(key, owner) {
      await query("DELETE FROM idempotency_keys WHERE key = $1 AND owner = $2 AND job_id IS NULL", [key, owner]);
    },

    async beginSubmission(record) {
      return transaction(async (client) => {
        if (record.idempotencyKey !== undefined) {
          const existing = await reserveKey(client, record.idempotencyKey, record.owner, record.fingerprint, record.createdAt);
          if (existing) return existing;
        }
        await client.query(
          "INSERT INTO submissions (id, provider, owner, idempotency_key, created_at, holder, held_until, alive_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
          [
            record.id,
            record.provider,
            record.owner,
            record.idempotencyKey ?? null,
            ms(record.createdAt),
            record.holder,
            ms(record.heldUntil),
            ms(record.aliveAt),
            JSON.stringify({ task: record.task, fingerprint: record.fingerprint, request: record.request }),
          ],
        );
        return undefined;
      });
    },

    async renewSubmission(id, holder, heldUntil, aliveAt) {
      const renewed = await query("UPDATE submissions SET held_until = $1, alive_at = COALESCE($2, alive_at) WHERE id = $3 AND holder = $4", [
        ms(heldUntil),
        optionalMs(aliveAt),
        id,
        holder,
      ]);
      return renewed.rowCount === 1;
    },

    async findSubmission(idempotencyKey, owner) {
      const { rows } = await query<SubmissionRow>("SELECT * FROM submissions WHERE idempotency_key = $1 AND owner = $2", [idempotencyKey, owner]);
      return rows[0] ? readSubmission(rows[0]) : undefined;
    },

    async listSubmissions() {
      const { rows } = await query<SubmissionRow>("SELECT * FROM submissions ORDER BY created_at");
      return rows.map(readSubmission);
    },

    async claimSubmission(id, holder, heldUntil, canTake) {
      return transaction(async (client) => {
        // Locked until we commit: another replica deciding on the same submission waits, then sees our claim.
        const { rows } = await client.query<SubmissionRow>("SELECT * FROM submissions WHERE id = $1 FOR UPDATE", [id]);
        if (!rows[0]) return undefined;
        const record = readSubmission(rows[0]);
        if (!canTake(record)) return undefined;
        await client.query("UPDATE submissions SET holder = $1, held_until = $2 WHERE id = $3", [holder, ms(heldUntil), id]);
        return { ...record, holder, heldUntil };
      });
    },

    async finishSubmission(id, outcome) {
      await transaction(async (client) => {
        const { rows } = await client.query<SubmissionRow>("SELECT * FROM submissions WHERE id = $1 FOR UPDATE", [id]);
        const record = rows[0] ? readSubmission(rows[0]) : undefined;
        if ("job" in outcome) {
          // Announced only when stored here: a job already there (found by another process) did not change.
          const inserted = await client.query(
            `WITH inserted AS (INSERT INTO jobs ${INSERT_JOB_COLUMNS} ON CONFLICT (id) DO NOTHING RETURNING id) SELECT pg_notify('${JOB_CHANGED_CHANNEL}', id) FROM inserted`,
            jobParameters(outcome.job),
          );
          if (inserted.rowCount === 1 && outcome.lease) {
            await client.query(`UPDATE jobs SET lease_holder = $1, lease_expires_at = ${clockAt(2)} + $3 WHERE id = $4`, [
              outcome.lease.holder,
              clock(),
              ms(outcome.lease.durationMs),
              outcome.job.id,
            ]);
          }
          if (record?.idempotencyKey !== undefined) {
            await client.query("UPDATE idempotency_keys SET job_id = $1 WHERE key = $2 AND owner = $3 AND job_id IS NULL", [
              outcome.job.id,
              record.idempotencyKey,
              record.owner,
            ]);
          }
        } else if (record?.idempotencyKey !== undefined) {
          await client.query("DELETE FROM idempotency_keys WHERE key = $1 AND owner = $2 AND job_id IS NULL", [record.idempotencyKey, record.owner]);
        }
        await client.query("DELETE FROM submissions WHERE id = $1", [id]);
      });
    },

    async putResultPart(jobId, name, data, contentType) {
      await transaction(async (client) => {
        await lockPart(client, jobId, name);
        await client.query("DELETE FROM result_parts WHERE job_id = $1 AND name = $2", [jobId, name]);
        await client.query("INSERT INTO result_parts (job_id, name, seq, content_type, bytes, data) VALUES ($1, $2, 0, $3, $4, $5)", [
          jobId,
          name,
          contentType,
          data.byteLength,
          compress(data),
        ]);
      });
    },

    async appendResultPart(jobId, name, data, contentType) {
      await transaction(async (client) => {
        await lockPart(client, jobId, name);
        await client.query(
          `INSERT INTO result_parts (job_id, name, seq, content_type, bytes, data)
           SELECT $1, $2, COALESCE(MAX(seq) + 1, 0), $3, $4, $5 FROM result_parts WHERE job_id = $1 AND name = $2`,
          [jobId, name, contentType, data.byteLength, compress(data)],
        );
      });
    },

    async getResultPart(jobId, name) {
      const { rows } = await query<{ content_type: string; data: Buffer }>(
        "SELECT content_type, data FROM result_parts WHERE job_id = $1 AND name = $2 ORDER BY seq",
        [jobId, name],
      );
      if (rows.length === 0) return undefined;
      const data = Buffer.concat(rows.map((row) => decompress(row.data)));
      return { name, contentType: rows[0]!.content_type, bytes: data.byteLength, data };
    },

    async listResultParts(jobId): Promise<StoredPart[]> {
      const { rows } = await query<{ name: string; content_type: string; bytes: string }>(
        "SELECT name, MIN(content_type) AS content_type, SUM(bytes) AS bytes FROM result_parts WHERE job_id = $1 GROUP BY name ORDER BY name",
        [jobId],
      );
      return rows.map((row) => ({ name: row.name, contentType: row.content_type, bytes: Number(row.bytes) }));
    },

    async putResultIndex(jobId, index, description) {
      await query(
        "INSERT INTO result_index (job_id, description, data) VALUES ($1, $2, $3) ON CONFLICT (job_id) DO UPDATE SET description = excluded.description, data = excluded.data",
        [jobId, description ?? null, compress(Buffer.from(JSON.stringify(index)))],
      );
    },

    async getResultIndex(jobId) {
      const { rows } = await query<{ description: string | null; data: Buffer }>("SELECT description, data FROM result_index WHERE job_id = $1", [jobId]);
      const row = rows[0];
      if (!row) return undefined;
      return { index: JSON.parse(decompress(row.data).toString("utf8")) as unknown, description: row.description ?? undefined };
    },

    voiceprints: {
      async put(label, voiceprint, meta) {
        await query(
          `INSERT INTO voiceprints (owner, label, provider, source_job_id, voiceprint, created_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (owner, label) DO UPDATE SET provider = excluded.provider, source_job_id = excluded.source_job_id, voiceprint = excluded.voiceprint, created_at = excluded.created_at`,
          [meta.owner ?? "", label, meta.provider, meta.sourceJobId, voiceprint, new Date(options.now?.() ?? Date.now()).toISOString()],
        );
      },
      async get(label, owner) {
        // Unscoped (stdio, or HTTP without a token, which see every job too): the unowned one first.
        const { rows } =
          owner === undefined
            ? await query<{ voiceprint: string }>("SELECT voiceprint FROM voiceprints WHERE label = $1 ORDER BY owner <> '', created_at DESC LIMIT 1", [label])
            : await query<{ voiceprint: string }>("SELECT voiceprint FROM voiceprints WHERE label = $1 AND owner = $2", [label, owner]);
        return rows[0]?.voiceprint;
      },
      async list(owner) {
        const { rows } =
          owner === undefined
            ? await query<{ label: string; provider: string; source_job_id: string; created_at: string }>(
                "SELECT DISTINCT label, provider, source_job_id, created_at FROM voiceprints ORDER BY label",
              )
            : await query<{ label: string; provider: string; source_job_id: string; created_at: string }>(
                "SELECT label, provider, source_job_id, created_at FROM voiceprints WHERE owner = $1 ORDER BY label",
                [owner],
              );
        return rows.map((row) => ({ label: row.label, provider: row.provider as ProviderId, sourceJobId: row.source_job_id, createdAt: row.created_at }));
      },
      async delete(label, owner) {
        const deleted =
          owner === undefined
            ? await query("DELETE FROM voiceprints WHERE label = $1", [label])
            : await query("DELETE FROM voiceprints WHERE label = $1 AND owner = $2", [label, owner]);
        return (deleted.rowCount ?? 0) > 0;
      },
    },

    replayGuard: {
      async firstSeen(key, ttlMs) {
        const at = clock();
        await query(`DELETE FROM webhook_deliveries WHERE expires_at < ${clockAt(1)}`, [at]);
        // A key whose window has passed counts as new; replicas racing on one key: the first insert wins, the other meets its row.
        const seen = await query(
          `INSERT INTO webhook_deliveries (key, expires_at) VALUES ($1, ${clockAt(2)} + $3)
           ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE webhook_deliveries.expires_at < ${clockAt(2)}`,
          [key, at, ms(ttlMs)],
        );
        return seen.rowCount === 1;
      },
    },

    uploads: createPgUploadStore(pool, transaction),

    // Every replica's vendor requests draw from one window per vendor (pg-rate-window.ts).
    rateWindow: createPgRateWindow(pool, { now: options.now }),

    watchJobs(listenerFunction, onGap) {
      return listener.subscribe(listenerFunction, onGap);
    },

    async ping() {
      await query("SELECT 1");
    },

    async close() {
      if (closed) return;
      closed = true;
      await listener.stop();
      await pool.end();
    },
  };
  return store;
}

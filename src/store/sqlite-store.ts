// JobStore on node:sqlite (built into Node ≥ 22.13; the server as a whole needs ≥ 22.19): no
// native addon, so it ships in a Claude Desktop bundle. WAL mode, versioned migrations, result
// parts stored deflated.

import fs from "node:fs";
import path from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import zlib from "node:zlib";
import { StorageFullError } from "../errors.js";
import { isTerminal, type Job, type JobStatus, type ProviderId } from "../jobs/job.js";
import { createJobRowReader, damageOf, decodeCursor, encodeCursor, JOB_COLUMNS, needsPoll, type JobRow } from "./job-rows.js";
import type { IdempotencyRecord, JobListFilter, JobListPage, JobStore, StoredPart, SubmissionRecord } from "./store.js";
import { explainStoreOpenFailure, isFullDiskIoError, StoreOpenError } from "./store-open-error.js";
import { createSqliteUploadStore, UPLOADS_MIGRATION } from "./sqlite-uploads.js";

export const MIGRATIONS: string[] = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     provider TEXT NOT NULL,
     task TEXT NOT NULL,
     status TEXT NOT NULL,
     owner TEXT NOT NULL DEFAULT '',
     created_at TEXT NOT NULL,
     needs_poll INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX jobs_by_created ON jobs (created_at DESC, id DESC);
   CREATE INDEX jobs_to_poll ON jobs (needs_poll) WHERE needs_poll = 1;
   CREATE TABLE idempotency_keys (
     key TEXT NOT NULL,
     owner TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     job_id TEXT,
     created_at TEXT NOT NULL,
     PRIMARY KEY (key, owner)
   );
   CREATE TABLE result_parts (
     job_id TEXT NOT NULL,
     name TEXT NOT NULL,
     seq INTEGER NOT NULL,
     content_type TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     data BLOB NOT NULL,
     PRIMARY KEY (job_id, name, seq)
   );
   CREATE TABLE result_index (
     job_id TEXT PRIMARY KEY,
     description TEXT,
     data BLOB NOT NULL
   );
   CREATE TABLE voiceprints (
     label TEXT PRIMARY KEY,
     provider TEXT NOT NULL,
     source_job_id TEXT NOT NULL,
     voiceprint TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE webhook_deliveries (
     key TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   );`,
  // The poller asks for due jobs every tick: answer from a column, not by parsing every job.
  `ALTER TABLE jobs ADD COLUMN next_poll_at INTEGER;
   UPDATE jobs SET next_poll_at = json_extract(data, '$.nextPollAt');
   DROP INDEX jobs_to_poll;
   CREATE INDEX jobs_due ON jobs (next_poll_at) WHERE needs_poll = 1;`,
  // Submissions are recorded before a vendor is called, so a crash between the vendor's create
  // call and the job row leaves something to look up. Keys an older version reserved for a
  // submission it never finished say nothing of what they were for: they are released rather
  // than answering "being submitted" forever.
  `CREATE TABLE submissions (
     id TEXT PRIMARY KEY,
     provider TEXT NOT NULL,
     owner TEXT NOT NULL,
     idempotency_key TEXT,
     created_at INTEGER NOT NULL,
     holder TEXT NOT NULL,
     held_until INTEGER NOT NULL,
     alive_at INTEGER NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX submissions_by_key ON submissions (idempotency_key, owner) WHERE idempotency_key IS NOT NULL;
   DELETE FROM idempotency_keys WHERE job_id IS NULL;`,
  // Voiceprints belong to their owner, like jobs: a label is unique per owner. Existing ones
  // take the owner of the job that made them.
  `CREATE TABLE voiceprints_owned (
     owner TEXT NOT NULL DEFAULT '',
     label TEXT NOT NULL,
     provider TEXT NOT NULL,
     source_job_id TEXT NOT NULL,
     voiceprint TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (owner, label)
   );
   INSERT INTO voiceprints_owned (owner, label, provider, source_job_id, voiceprint, created_at)
     SELECT COALESCE((SELECT jobs.owner FROM jobs WHERE jobs.id = voiceprints.source_job_id), ''), label, provider, source_job_id, voiceprint, created_at
     FROM voiceprints;
   DROP TABLE voiceprints;
   ALTER TABLE voiceprints_owned RENAME TO voiceprints;`,
  // Two servers on one data dir (Claude Desktop and Claude Code each start one): one process
  // at a time polls or analyses a job, the holder of its lease.
  `ALTER TABLE jobs ADD COLUMN lease_holder TEXT;
   ALTER TABLE jobs ADD COLUMN lease_expires_at INTEGER;`,
  // Files remote users upload for their jobs (create_upload), in chunks: every replica reads them.
  UPLOADS_MIGRATION,
  // A user's upload quota is counted from that user's rows alone (UploadStore.usage).
  `CREATE INDEX uploads_by_owner ON uploads (owner);`,
];

function compress(data: Uint8Array): Buffer {
  return zlib.deflateRawSync(data, { level: 6 });
}

function decompress(data: Uint8Array): Buffer {
  return zlib.inflateRawSync(data);
}

/** SQLITE_FULL (any extended code) or an ENOSPC from the file system. */
export function isDiskFull(error: unknown): boolean {
  if (!error || typeof error !== "object") return false;
  const candidate = error as { errcode?: unknown; code?: unknown; message?: unknown };
  if (typeof candidate.errcode === "number" && (candidate.errcode & 0xff) === 13) return true;
  if (candidate.code === "ENOSPC") return true;
  return typeof candidate.message === "string" && /database or disk is full|ENOSPC|no space left on device/i.test(candidate.message);
}

export interface SqliteJobStoreOptions {
  now?: () => number;
  /** Told once per damaged job row found (the row is then set aside). */
  onDamagedJob?: (id: string, damage: string) => void;
  /** Opens the database file; tests pass one that fails like a full disk. */
  openDatabase?: (file: string) => DatabaseSync;
}

export function openSqliteJobStore(dataDir: string, options: SqliteJobStoreOptions = {}): JobStore {
  try {
    return withStorageErrors(openStore(dataDir, options), dataDir);
  } catch (error) {
    if (isDiskFull(error)) throw new StorageFullError(dataDir, "the job store cannot be opened", { cause: error });
    throw error;
  }
}

/** Every store call that fails for want of space says so, with the data dir, instead of an internal error. */
function withStorageErrors(store: JobStore, dataDir: string): JobStore {
  const guard = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value === "object" && value !== null) return guard(value);
        if (typeof value !== "function") return value;
        const explain = (error: unknown): unknown =>
          isDiskFull(error) && !(error instanceof StorageFullError) ? new StorageFullError(dataDir, undefined, { cause: error }) : error;
        return (...args: unknown[]) => {
          let result: unknown;
          try {
            result = (value as (...parameters: unknown[]) => unknown).apply(object, args);
          } catch (error) {
            throw explain(error);
          }
          // The store's methods are async: their failures arrive as rejections.
          if (result instanceof Promise) {
            return result.catch((error: unknown) => {
              throw explain(error);
            });
          }
          return result;
        };
      },
    });
  return guard(store);
}

function openStore(dataDir: string, options: SqliteJobStoreOptions): JobStore {
  const db = openDatabase(dataDir, options.openDatabase);
  const now = options.now ?? Date.now;

  const transaction = <T>(work: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  };

  const statements = {
    insertJob: db.prepare(
      "INSERT INTO jobs (id, provider, task, status, owner, created_at, needs_poll, next_poll_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    updateJob: db.prepare("UPDATE jobs SET status = ?, needs_poll = ?, next_poll_at = ?, data = ? WHERE id = ?"),
    insertJobIfAbsent: db.prepare(
      "INSERT INTO jobs (id, provider, task, status, owner, created_at, needs_poll, next_poll_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
    ),
    getJob: db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`),
    getStatus: db.prepare("SELECT status FROM jobs WHERE id = ?"),
    jobsDue: db.prepare(
      `SELECT ${JOB_COLUMNS} FROM jobs WHERE needs_poll = 1 AND (next_poll_at IS NULL OR next_poll_at <= ?) AND (? IS NULL OR lease_holder IS NULL OR lease_holder = ? OR lease_expires_at <= ?) ORDER BY next_poll_at`,
    ),
    setAside: db.prepare("UPDATE jobs SET needs_poll = 0 WHERE id = ?"),
    insertSubmission: db.prepare(
      "INSERT INTO submissions (id, provider, owner, idempotency_key, created_at, holder, held_until, alive_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    renewSubmission: db.prepare("UPDATE submissions SET held_until = ?, alive_at = COALESCE(?, alive_at) WHERE id = ? AND holder = ?"),
    claimSubmission: db.prepare("UPDATE submissions SET holder = ?, held_until = ? WHERE id = ?"),
    getSubmission: db.prepare("SELECT * FROM submissions WHERE id = ?"),
    findSubmission: db.prepare("SELECT * FROM submissions WHERE idempotency_key = ? AND owner = ?"),
    listSubmissions: db.prepare("SELECT * FROM submissions ORDER BY created_at"),
    deleteSubmission: db.prepare("DELETE FROM submissions WHERE id = ?"),
    bindKey: db.prepare("UPDATE idempotency_keys SET job_id = ? WHERE key = ? AND owner = ? AND job_id IS NULL"),
    claimLease: db.prepare(
      "UPDATE jobs SET lease_holder = ?, lease_expires_at = ? WHERE id = ? AND (lease_holder IS NULL OR lease_holder = ? OR lease_expires_at <= ?)",
    ),
    renewLeases: db.prepare("UPDATE jobs SET lease_expires_at = ? WHERE lease_holder = ? AND needs_poll = 1"),
    releaseLeases: db.prepare("UPDATE jobs SET lease_holder = NULL, lease_expires_at = NULL WHERE lease_holder = ?"),
    requestPoll: db.prepare("UPDATE jobs SET next_poll_at = ? WHERE id = ? AND needs_poll = 1 AND (next_poll_at IS NULL OR next_poll_at > ?)"),
    completeIds: db.prepare("SELECT id FROM jobs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?"),
    completeOwnIds: db.prepare("SELECT id FROM jobs WHERE id >= ? AND id < ? AND owner = ? ORDER BY id LIMIT ?"),
    getKey: db.prepare("SELECT key, owner, fingerprint, job_id FROM idempotency_keys WHERE key = ? AND owner = ?"),
    insertKey: db.prepare(
      "INSERT INTO idempotency_keys (key, owner, fingerprint, job_id, created_at) VALUES (?, ?, ?, NULL, ?)",
    ),
    completeKey: db.prepare("UPDATE idempotency_keys SET job_id = ? WHERE key = ? AND owner = ?"),
    deleteKey: db.prepare("DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND job_id IS NULL"),
    deleteParts: db.prepare("DELETE FROM result_parts WHERE job_id = ? AND name = ?"),
    nextSeq: db.prepare("SELECT COALESCE(MAX(seq) + 1, 0) AS seq FROM result_parts WHERE job_id = ? AND name = ?"),
    insertPart: db.prepare(
      "INSERT INTO result_parts (job_id, name, seq, content_type, bytes, data) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    getPartChunks: db.prepare(
      "SELECT content_type, bytes, data FROM result_parts WHERE job_id = ? AND name = ? ORDER BY seq",
    ),
    listParts: db.prepare(
      "SELECT name, MIN(content_type) AS content_type, SUM(bytes) AS bytes FROM result_parts WHERE job_id = ? GROUP BY name ORDER BY name",
    ),
    putIndex: db.prepare(
      "INSERT INTO result_index (job_id, description, data) VALUES (?, ?, ?) ON CONFLICT(job_id) DO UPDATE SET description = excluded.description, data = excluded.data",
    ),
    getIndex: db.prepare("SELECT description, data FROM result_index WHERE job_id = ?"),
    putVoiceprint: db.prepare(
      "INSERT INTO voiceprints (owner, label, provider, source_job_id, voiceprint, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(owner, label) DO UPDATE SET provider = excluded.provider, source_job_id = excluded.source_job_id, voiceprint = excluded.voiceprint, created_at = excluded.created_at",
    ),
    getVoiceprint: db.prepare("SELECT voiceprint FROM voiceprints WHERE label = ? AND owner = ?"),
    // Unscoped (stdio, or HTTP without a token, which see every job too): the unowned one first.
    getAnyVoiceprint: db.prepare("SELECT voiceprint FROM voiceprints WHERE label = ? ORDER BY owner <> '', created_at DESC LIMIT 1"),
    listVoiceprints: db.prepare("SELECT label, provider, source_job_id, created_at FROM voiceprints WHERE owner = ? ORDER BY label"),
    listAllVoiceprints: db.prepare("SELECT DISTINCT label, provider, source_job_id, created_at FROM voiceprints ORDER BY label"),
    deleteVoiceprint: db.prepare("DELETE FROM voiceprints WHERE label = ? AND owner = ?"),
    deleteAnyVoiceprint: db.prepare("DELETE FROM voiceprints WHERE label = ?"),
    purgeDeliveries: db.prepare("DELETE FROM webhook_deliveries WHERE expires_at < ?"),
    insertDelivery: db.prepare("INSERT OR IGNORE INTO webhook_deliveries (key, expires_at) VALUES (?, ?)"),
  };

  /** Listeners of committed job changes (in this process only: SQLite has no notifications across processes). */
  const watchers = new Set<(jobId: string) => void>();
  /** Called after a job row's change is committed; a listener that throws does not fail the write. */
  const changed = (id: string): void => {
    for (const watcher of [...watchers]) {
      try {
        watcher(id);
      } catch {
        // A listener's failure is its own; the write it hears of is committed.
      }
    }
  };

  /** A row as a job; a damaged row as a stand-in that says so (reported once). */
  const rows = createJobRowReader(options.onDamagedJob);
  const reportDamage = rows.reportDamage;
  const readJob = (row: unknown): Job => rows.readJob(row as JobRow);

  const jobParameters = (job: Job): SQLInputValue[] => [
    job.id,
    job.provider,
    job.task,
    job.status,
    job.owner ?? "",
    job.createdAt,
    needsPoll(job) ? 1 : 0,
    job.nextPollAt ?? null,
    JSON.stringify(job),
  ];

  const readSubmission = (row: unknown): SubmissionRecord => {
    const value = row as {
      id: string;
      provider: ProviderId;
      owner: string;
      idempotency_key: string | null;
      created_at: number;
      holder: string;
      held_until: number;
      alive_at: number;
      data: string;
    };
    const data = JSON.parse(value.data) as Pick<SubmissionRecord, "task" | "fingerprint" | "request">;
    return {
      id: value.id,
      provider: value.provider,
      owner: value.owner,
      ...(value.idempotency_key !== null ? { idempotencyKey: value.idempotency_key } : {}),
      createdAt: Number(value.created_at),
      holder: value.holder,
      heldUntil: Number(value.held_until),
      aliveAt: Number(value.alive_at),
      task: data.task,
      fingerprint: data.fingerprint,
      request: data.request,
    };
  };

  const keyRecord = (key: string, owner: string): IdempotencyRecord | undefined => {
    const existing = statements.getKey.get(key, owner) as
      | { key: string; owner: string; fingerprint: string; job_id: string | null }
      | undefined;
    if (!existing) return undefined;
    return { key: existing.key, owner: existing.owner, fingerprint: existing.fingerprint, jobId: existing.job_id ?? undefined };
  };

  const store: JobStore = {
    async insertJob(job) {
      statements.insertJob.run(...jobParameters(job));
      changed(job.id);
    },

    async saveJob(job) {
      transaction(() => {
        const existing = statements.getStatus.get(job.id) as { status: JobStatus } | undefined;
        if (!existing) throw new Error(`job ${job.id} is not in the store`);
        if (isTerminal(existing.status) && existing.status !== job.status) {
          throw new Error(`job ${job.id} is ${existing.status}; a terminal status never changes`);
        }
        statements.updateJob.run(job.status, needsPoll(job) ? 1 : 0, job.nextPollAt ?? null, JSON.stringify(job), job.id);
      });
      changed(job.id);
    },

    async getJob(id) {
      const row = statements.getJob.get(id);
      return row ? readJob(row) : undefined;
    },

    async listJobs(filter: JobListFilter): Promise<JobListPage> {
      const clauses: string[] = [];
      const parameters: SQLInputValue[] = [];
      if (filter.provider) {
        clauses.push("provider = ?");
        parameters.push(filter.provider);
      }
      if (filter.task) {
        clauses.push("task = ?");
        parameters.push(filter.task);
      }
      if (filter.statuses && filter.statuses.length > 0) {
        clauses.push(`status IN (${filter.statuses.map(() => "?").join(", ")})`);
        parameters.push(...filter.statuses);
      }
      if (filter.owner !== undefined) {
        clauses.push("owner = ?");
        parameters.push(filter.owner);
      }
      if (filter.createdAfter) {
        clauses.push("created_at >= ?");
        parameters.push(filter.createdAfter);
      }
      if (filter.createdBefore) {
        clauses.push("created_at < ?");
        parameters.push(filter.createdBefore);
      }
      if (filter.cursor) {
        const position = decodeCursor(filter.cursor);
        clauses.push("(created_at < ? OR (created_at = ? AND id < ?))");
        parameters.push(position[0], position[0], position[1]);
      }
      const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
      const rows = db
        .prepare(`SELECT ${JOB_COLUMNS} FROM jobs ${where} ORDER BY created_at DESC, id DESC LIMIT ?`)
        .all(...parameters, filter.limit + 1);
      const jobs = rows.slice(0, filter.limit).map(readJob);
      const last = jobs[jobs.length - 1];
      return {
        jobs,
        nextCursor: rows.length > filter.limit && last ? encodeCursor(last.createdAt, last.id) : undefined,
      };
    },

    async listJobsDue(dueBy, leaseHolder) {
      const holder = leaseHolder ?? null;
      const due: Job[] = [];
      // Leases run on the store's clock, the one every process on the data dir shares (due times are the caller's).
      for (const row of statements.jobsDue.all(dueBy, holder, holder, now()) as unknown as JobRow[]) {
        const read = damageOf(row);
        if (read.job) {
          due.push(read.job);
          continue;
        }
        // Set aside: a damaged row must not fail every poller tick, nor be read again each tick.
        reportDamage(row, read.damage);
        statements.setAside.run(row.id);
      }
      return due;
    },

    async claimJob(id, holder, durationMs) {
      const at = now();
      return Number(statements.claimLease.run(holder, at + durationMs, id, holder, at).changes) === 1;
    },

    async renewLeases(holder, durationMs) {
      return Number(statements.renewLeases.run(now() + durationMs, holder).changes);
    },

    async releaseLeases(holder) {
      statements.releaseLeases.run(holder);
    },

    async requestPoll(id, at) {
      statements.requestPoll.run(at, id, at);
    },

    async completeJobIds(prefix, limit, owner) {
      // Range scan instead of LIKE so "_" and "%" in ids mean themselves.
      const rows = owner === undefined ? statements.completeIds.all(prefix, prefix + "\uffff", limit) : statements.completeOwnIds.all(prefix, prefix + "\uffff", owner, limit);
      return rows.map((row) => (row as { id: string }).id);
    },

    async reserveIdempotencyKey(record) {
      return transaction(() => {
        const existing = keyRecord(record.key, record.owner);
        if (existing) return existing;
        statements.insertKey.run(record.key, record.owner, record.fingerprint, new Date(now()).toISOString());
        return undefined;
      });
    },

    async findIdempotencyKey(key, owner) {
      return keyRecord(key, owner);
    },

    async completeIdempotencyKey(key, owner, jobId) {
      statements.completeKey.run(jobId, key, owner);
    },

    async releaseIdempotencyKey(key, owner) {
      statements.deleteKey.run(key, owner);
    },

    async beginSubmission(record) {
      return transaction(() => {
        if (record.idempotencyKey !== undefined) {
          const existing = keyRecord(record.idempotencyKey, record.owner);
          if (existing) return existing;
          statements.insertKey.run(record.idempotencyKey, record.owner, record.fingerprint, new Date(record.createdAt).toISOString());
        }
        statements.insertSubmission.run(
          record.id,
          record.provider,
          record.owner,
          record.idempotencyKey ?? null,
          record.createdAt,
          record.holder,
          record.heldUntil,
          record.aliveAt,
          JSON.stringify({ task: record.task, fingerprint: record.fingerprint, request: record.request }),
        );
        return undefined;
      });
    },

    async renewSubmission(id, holder, heldUntil, aliveAt) {
      return Number(statements.renewSubmission.run(heldUntil, aliveAt ?? null, id, holder).changes) === 1;
    },

    async findSubmission(idempotencyKey, owner) {
      const row = statements.findSubmission.get(idempotencyKey, owner);
      return row ? readSubmission(row) : undefined;
    },

    async listSubmissions() {
      return statements.listSubmissions.all().map(readSubmission);
    },

    async claimSubmission(id, holder, heldUntil, canTake) {
      return transaction(() => {
        const row = statements.getSubmission.get(id);
        if (!row) return undefined;
        const record = readSubmission(row);
        if (!canTake(record)) return undefined;
        statements.claimSubmission.run(holder, heldUntil, id);
        return { ...record, holder, heldUntil };
      });
    },

    async finishSubmission(id, outcome) {
      const inserted = transaction(() => {
        const row = statements.getSubmission.get(id);
        const record = row ? readSubmission(row) : undefined;
        let stored = false;
        if ("job" in outcome) {
          stored = Number(statements.insertJobIfAbsent.run(...jobParameters(outcome.job)).changes) === 1;
          if (stored && outcome.lease) {
            const at = now();
            statements.claimLease.run(outcome.lease.holder, at + outcome.lease.durationMs, outcome.job.id, outcome.lease.holder, at);
          }
          if (record?.idempotencyKey !== undefined) statements.bindKey.run(outcome.job.id, record.idempotencyKey, record.owner);
        } else if (record?.idempotencyKey !== undefined) {
          statements.deleteKey.run(record.idempotencyKey, record.owner);
        }
        statements.deleteSubmission.run(id);
        return stored;
      });
      if (inserted && "job" in outcome) changed(outcome.job.id);
    },

    async putResultPart(jobId, name, data, contentType) {
      transaction(() => {
        statements.deleteParts.run(jobId, name);
        statements.insertPart.run(jobId, name, 0, contentType, data.byteLength, compress(data));
      });
    },

    async appendResultPart(jobId, name, data, contentType) {
      transaction(() => {
        const { seq } = statements.nextSeq.get(jobId, name) as { seq: number };
        statements.insertPart.run(jobId, name, seq, contentType, data.byteLength, compress(data));
      });
    },

    async getResultPart(jobId, name) {
      const rows = statements.getPartChunks.all(jobId, name) as Array<{
        content_type: string;
        bytes: number;
        data: Uint8Array;
      }>;
      if (rows.length === 0) return undefined;
      const data = Buffer.concat(rows.map((row) => decompress(row.data)));
      return { name, contentType: rows[0]!.content_type, bytes: data.byteLength, data };
    },

    async listResultParts(jobId): Promise<StoredPart[]> {
      return (statements.listParts.all(jobId) as Array<{ name: string; content_type: string; bytes: number }>).map(
        (row) => ({ name: row.name, contentType: row.content_type, bytes: Number(row.bytes) }),
      );
    },

    async putResultIndex(jobId, index, description) {
      statements.putIndex.run(jobId, description ?? null, compress(Buffer.from(JSON.stringify(index))));
    },

    async getResultIndex(jobId) {
      const row = statements.getIndex.get(jobId) as { description: string | null; data: Uint8Array } | undefined;
      if (!row) return undefined;
      return {
        index: JSON.parse(decompress(row.data).toString("utf8")) as unknown,
        description: row.description ?? undefined,
      };
    },

    voiceprints: {
      async put(label, voiceprint, meta) {
        statements.putVoiceprint.run(meta.owner ?? "", label, meta.provider, meta.sourceJobId, voiceprint, new Date(now()).toISOString());
      },
      async get(label, owner) {
        const row = (owner === undefined ? statements.getAnyVoiceprint.get(label) : statements.getVoiceprint.get(label, owner)) as { voiceprint: string } | undefined;
        return row?.voiceprint;
      },
      async list(owner) {
        return (
          (owner === undefined ? statements.listAllVoiceprints.all() : statements.listVoiceprints.all(owner)) as Array<{
            label: string;
            provider: string;
            source_job_id: string;
            created_at: string;
          }>
        ).map((row) => ({
          label: row.label,
          provider: row.provider as ProviderId,
          sourceJobId: row.source_job_id,
          createdAt: row.created_at,
        }));
      },
      async delete(label, owner) {
        const deleted = owner === undefined ? statements.deleteAnyVoiceprint.run(label) : statements.deleteVoiceprint.run(label, owner);
        return Number(deleted.changes) > 0;
      },
    },

    uploads: createSqliteUploadStore(db, transaction),

    replayGuard: {
      async firstSeen(key, ttlMs) {
        const current = now();
        statements.purgeDeliveries.run(current);
        return Number(statements.insertDelivery.run(key, current + ttlMs).changes) === 1;
      },
    },

    watchJobs(listener) {
      // A wrapper per subscription, so the same function subscribed twice unsubscribes once each.
      const entry = (id: string) => listener(id);
      watchers.add(entry);
      return () => {
        watchers.delete(entry);
      };
    },

    async ping() {
      db.prepare("SELECT 1").get();
    },

    async close() {
      watchers.clear();
      db.close();
    },
  };
  return store;
}

/**
 * Opens (creating if need be) and migrates the store. A full disk is a StorageFullError; any
 * other failure a StoreOpenError that says what is wrong and what to do (nothing is deleted).
 */
function openDatabase(dataDir: string, open: (file: string) => DatabaseSync = (file) => new DatabaseSync(file)): DatabaseSync {
  const file = path.join(dataDir, "jobs.sqlite");
  let db: DatabaseSync | undefined;
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    db = open(file);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
    migrate(db, file);
    return db;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // The open failed; there is nothing left to release.
    }
    if (isDiskFull(error) || isFullDiskIoError(error, dataDir)) {
      throw new StorageFullError(dataDir, "the job store cannot be opened", { cause: error });
    }
    throw explainStoreOpenFailure(error, { dataDir, dbFile: file });
  }
}

function migrate(db: DatabaseSync, dbFile: string): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
  const row = db.prepare("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").get() as {
    version: number;
  };
  if (row.version > MIGRATIONS.length) {
    throw new StoreOpenError(
      `the job store ${dbFile} was written by a newer media-jobs-mcp (schema ${row.version}; this version knows ${MIGRATIONS.length}): ` +
        "upgrade media-jobs-mcp, or set MEDIA_JOBS_DATA_DIR to another folder to run this version on a separate store",
    );
  }
  for (let version = row.version + 1; version <= MIGRATIONS.length; version++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[version - 1]!);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(version, new Date().toISOString());
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }
}

export type { JobStatus };

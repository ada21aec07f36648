// The UploadStore on PostgreSQL: one row per upload, its bytes in 1 MiB chunk rows (deleted with
// it), as in SQLite. Each state change is one conditional UPDATE, so two PUTs or two start_jobs
// on different replicas at once cannot both win; a chunk is stored only while its upload is
// receiving, checked under the upload row's lock.

import type pg from "pg";
import { uploadRecordOf, type UploadRecord, type UploadRow, type UploadStore, type UploadUsage } from "./upload-store.js";

/** The tables, part of the PostgreSQL store's first migration (pg-migrations.ts). */
export const PG_UPLOADS_TABLES = `CREATE TABLE uploads (
     id text PRIMARY KEY,
     owner text COLLATE "C" NOT NULL,
     secret_hash text NOT NULL,
     filename text NOT NULL,
     content_type text,
     max_bytes bigint NOT NULL,
     state text NOT NULL,
     bytes bigint NOT NULL DEFAULT 0,
     created_at bigint NOT NULL,
     expires_at bigint NOT NULL,
     job_id text,
     consumed_at bigint
   );
   CREATE INDEX uploads_by_state_expiry ON uploads (state, expires_at);
   CREATE TABLE upload_chunks (
     upload_id text NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
     seq integer NOT NULL,
     data bytea NOT NULL,
     PRIMARY KEY (upload_id, seq)
   );`;

const ms = (value: number): number => Math.round(value);

const USAGE_QUERY = `SELECT count(*) AS open, COALESCE(sum(bytes), 0) AS bytes, min(expires_at) FILTER (WHERE state <> 'consumed') AS oldest
   FROM uploads WHERE owner = $1 AND NOT (state IN ('pending', 'complete') AND expires_at <= $2)`;

async function usageOf(client: pg.Pool | pg.PoolClient, owner: string, now: number): Promise<UploadUsage> {
  const { rows } = await client.query<{ open: string; bytes: string; oldest: string | null }>(USAGE_QUERY, [owner, ms(now)]);
  const row = rows[0]!;
  return { open: Number(row.open), bytes: Number(row.bytes), ...(row.oldest !== null ? { oldestExpiresAt: Number(row.oldest) } : {}) };
}

export function createPgUploadStore(pool: pg.Pool, transaction: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>): UploadStore {
  const one = async (text: string, values: unknown[]): Promise<UploadRecord | undefined> => {
    const { rows } = await pool.query<UploadRow>(text, values);
    return rows[0] ? uploadRecordOf(rows[0]) : undefined;
  };

  return {
    async create(record) {
      await pool.query(
        "INSERT INTO uploads (id, owner, secret_hash, filename, content_type, max_bytes, state, bytes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
          record.id,
          record.owner,
          record.secretHash,
          record.filename,
          record.contentType ?? null,
          record.maxBytes,
          record.state,
          record.bytes,
          ms(record.createdAt),
          ms(record.expiresAt),
        ],
      );
    },
    async get(id, owner) {
      return one("SELECT * FROM uploads WHERE id = $1 AND ($2::text IS NULL OR owner = $2)", [id, owner ?? null]);
    },
    async beginReceiving(id, secretHash, now) {
      return one("UPDATE uploads SET state = 'receiving' WHERE id = $1 AND secret_hash = $2 AND state = 'pending' AND expires_at > $3 RETURNING *", [
        id,
        secretHash,
        ms(now),
      ]);
    },
    async appendChunk(id, index, data, quota) {
      return transaction(async (client) => {
        if (quota) {
          const { rows } = await client.query<{ owner: string }>("SELECT owner FROM uploads WHERE id = $1 AND state = 'receiving'", [id]);
          if (!rows[0]) return "gone";
          // One owner's chunks are stored one at a time across replicas (a transaction-scoped
          // advisory lock): the sum read next (a fresh snapshot under READ COMMITTED) already holds
          // every chunk stored before, so racing PUTs cannot pass the quota together.
          await client.query("SELECT pg_advisory_xact_lock(hashtextextended('media-jobs-upload-quota:' || $1, 0))", [rows[0].owner]);
          if ((await usageOf(client, rows[0].owner, quota.now)).bytes + data.byteLength > quota.maxBytes) return "over-quota";
        }
        // Locks the upload row: an abort or a finish on another replica waits until this chunk is in (or refused).
        const counted = await client.query("UPDATE uploads SET bytes = bytes + $2 WHERE id = $1 AND state = 'receiving'", [id, data.byteLength]);
        if (counted.rowCount !== 1) return "gone";
        await client.query("INSERT INTO upload_chunks (upload_id, seq, data) VALUES ($1, $2, $3)", [id, index, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
        return "stored";
      });
    },
    async finishReceiving(id, bytes, expiresAt, contentType) {
      await pool.query("UPDATE uploads SET state = 'complete', bytes = $2, expires_at = $3, content_type = COALESCE($4, content_type) WHERE id = $1 AND state = 'receiving'", [
        id,
        bytes,
        ms(expiresAt),
        contentType ?? null,
      ]);
    },
    async abortReceiving(id) {
      await transaction(async (client) => {
        const reset = await client.query("UPDATE uploads SET state = 'pending', bytes = 0 WHERE id = $1 AND state = 'receiving'", [id]);
        if (reset.rowCount === 1) await client.query("DELETE FROM upload_chunks WHERE upload_id = $1", [id]);
      });
    },
    async consume(id, owner, now) {
      return one("UPDATE uploads SET state = 'consumed', consumed_at = $3 WHERE id = $1 AND owner = $2 AND state = 'complete' AND expires_at > $3 RETURNING *", [
        id,
        owner,
        ms(now),
      ]);
    },
    async unconsume(id) {
      await pool.query("UPDATE uploads SET state = 'complete', consumed_at = NULL, job_id = NULL WHERE id = $1 AND state = 'consumed'", [id]);
    },
    async attachJob(id, jobId) {
      await pool.query("UPDATE uploads SET job_id = $2 WHERE id = $1 AND state = 'consumed'", [id, jobId]);
    },
    async usage(owner, now) {
      return usageOf(pool, owner, now);
    },
    async *readChunks(id) {
      // One chunk per round trip: a 512 MB upload is never held whole in memory.
      for (let seq = 0; ; seq++) {
        const { rows } = await pool.query<{ data: Buffer }>("SELECT data FROM upload_chunks WHERE upload_id = $1 AND seq = $2", [id, seq]);
        if (!rows[0]) return;
        yield rows[0].data;
      }
    },
    async delete(id) {
      // Chunks go with the row (ON DELETE CASCADE).
      await pool.query("DELETE FROM uploads WHERE id = $1", [id]);
    },
    async listForSweep(now, stalledBefore) {
      const { rows } = await pool.query<UploadRow>(
        "SELECT * FROM uploads WHERE (state IN ('pending', 'complete') AND expires_at <= $1) OR (state = 'receiving' AND expires_at <= $2) OR state = 'consumed'",
        [ms(now), ms(stalledBefore)],
      );
      return rows.map(uploadRecordOf);
    },
  };
}

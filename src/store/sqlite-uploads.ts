// The UploadStore on node:sqlite: one row per upload, its bytes in 1 MiB chunk rows (deleted
// with it). Its table comes with the store's migrations (UPLOADS_MIGRATION, appended to them).

import type { DatabaseSync } from "node:sqlite";
import { uploadRecordOf, type UploadRecord, type UploadRow, type UploadStore, type UploadUsage } from "./upload-store.js";

export const UPLOADS_MIGRATION = `CREATE TABLE uploads (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     filename TEXT NOT NULL,
     content_type TEXT,
     max_bytes INTEGER NOT NULL,
     state TEXT NOT NULL,
     bytes INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     job_id TEXT,
     consumed_at INTEGER
   );
   CREATE INDEX uploads_by_state_expiry ON uploads (state, expires_at);
   CREATE TABLE upload_chunks (
     upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     data BLOB NOT NULL,
     PRIMARY KEY (upload_id, seq)
   );`;

/** `transaction` is the store's own (BEGIN IMMEDIATE … COMMIT), so uploads and jobs lock alike. */
export function createSqliteUploadStore(db: DatabaseSync, transaction: <T>(work: () => T) => T): UploadStore {
  const statements = {
    insert: db.prepare(
      "INSERT INTO uploads (id, owner, secret_hash, filename, content_type, max_bytes, state, bytes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    get: db.prepare("SELECT * FROM uploads WHERE id = ?"),
    begin: db.prepare("UPDATE uploads SET state = 'receiving' WHERE id = ? AND secret_hash = ? AND state = 'pending' AND expires_at > ?"),
    appendChunk: db.prepare("INSERT INTO upload_chunks (upload_id, seq, data) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM uploads WHERE id = ? AND state = 'receiving')"),
    addBytes: db.prepare("UPDATE uploads SET bytes = bytes + ? WHERE id = ?"),
    finish: db.prepare("UPDATE uploads SET state = 'complete', bytes = ?, expires_at = ?, content_type = COALESCE(?, content_type) WHERE id = ? AND state = 'receiving'"),
    dropChunks: db.prepare("DELETE FROM upload_chunks WHERE upload_id = ? AND EXISTS (SELECT 1 FROM uploads WHERE id = ? AND state = 'receiving')"),
    reset: db.prepare("UPDATE uploads SET state = 'pending', bytes = 0 WHERE id = ? AND state = 'receiving'"),
    consume: db.prepare("UPDATE uploads SET state = 'consumed', consumed_at = ? WHERE id = ? AND owner = ? AND state = 'complete' AND expires_at > ?"),
    unconsume: db.prepare("UPDATE uploads SET state = 'complete', consumed_at = NULL, job_id = NULL WHERE id = ? AND state = 'consumed'"),
    attach: db.prepare("UPDATE uploads SET job_id = ? WHERE id = ? AND state = 'consumed'"),
    usage: db.prepare(
      `SELECT COUNT(*) AS open, COALESCE(SUM(bytes), 0) AS bytes, MIN(CASE WHEN state <> 'consumed' THEN expires_at END) AS oldest
         FROM uploads WHERE owner = ? AND NOT (state IN ('pending', 'complete') AND expires_at <= ?)`,
    ),
    ownerOf: db.prepare("SELECT owner FROM uploads WHERE id = ? AND state = 'receiving'"),
    chunk: db.prepare("SELECT data FROM upload_chunks WHERE upload_id = ? AND seq = ?"),
    delete: db.prepare("DELETE FROM uploads WHERE id = ?"),
    forSweep: db.prepare(
      "SELECT * FROM uploads WHERE (state IN ('pending', 'complete') AND expires_at <= ?) OR (state = 'receiving' AND expires_at <= ?) OR state = 'consumed'",
    ),
  };

  const usage = (owner: string, now: number): UploadUsage => {
    const row = statements.usage.get(owner, now) as { open: number; bytes: number; oldest: number | null };
    return { open: Number(row.open), bytes: Number(row.bytes), ...(row.oldest !== null ? { oldestExpiresAt: Number(row.oldest) } : {}) };
  };

  const read = (id: string): UploadRecord | undefined => {
    const row = statements.get.get(id) as UploadRow | undefined;
    return row ? uploadRecordOf(row) : undefined;
  };

  return {
    async create(record) {
      statements.insert.run(
        record.id,
        record.owner,
        record.secretHash,
        record.filename,
        record.contentType ?? null,
        record.maxBytes,
        record.state,
        record.bytes,
        record.createdAt,
        record.expiresAt,
      );
    },
    async get(id, owner) {
      const record = read(id);
      return owner === undefined || record?.owner === owner ? record : undefined;
    },
    async beginReceiving(id, secretHash, now) {
      return transaction(() => (Number(statements.begin.run(id, secretHash, now).changes) === 1 ? read(id) : undefined));
    },
    async appendChunk(id, index, data, quota) {
      // BEGIN IMMEDIATE: one writer at a time on the file, so the quota check and the write are one step.
      return transaction(() => {
        if (quota) {
          const owner = statements.ownerOf.get(id) as { owner: string } | undefined;
          if (!owner) return "gone";
          if (usage(owner.owner, quota.now).bytes + data.byteLength > quota.maxBytes) return "over-quota";
        }
        if (Number(statements.appendChunk.run(id, index, data, id).changes) !== 1) return "gone";
        statements.addBytes.run(data.byteLength, id);
        return "stored";
      });
    },
    async finishReceiving(id, bytes, expiresAt, contentType?: string) {
      statements.finish.run(bytes, expiresAt, contentType ?? null, id);
    },
    async abortReceiving(id) {
      transaction(() => {
        statements.dropChunks.run(id, id);
        statements.reset.run(id);
      });
    },
    async consume(id, owner, now) {
      return transaction(() => (Number(statements.consume.run(now, id, owner, now).changes) === 1 ? read(id) : undefined));
    },
    async unconsume(id) {
      statements.unconsume.run(id);
    },
    async attachJob(id, jobId) {
      statements.attach.run(jobId, id);
    },
    async usage(owner, now) {
      return usage(owner, now);
    },
    async *readChunks(id) {
      for (let seq = 0; ; seq++) {
        const row = statements.chunk.get(id, seq) as { data: Uint8Array } | undefined;
        if (!row) return;
        yield Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
      }
    },
    async delete(id) {
      // Chunks go with the row (ON DELETE CASCADE).
      statements.delete.run(id);
    },
    async listForSweep(now, stalledBefore) {
      return (statements.forSweep.all(now, stalledBefore) as unknown as UploadRow[]).map(uploadRecordOf);
    },
  };
}

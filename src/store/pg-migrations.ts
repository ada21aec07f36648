// The PostgreSQL job store's schema, as versioned migrations. Every replica runs them at
// start-up under one advisory lock, so replicas starting together apply each version once; a
// replica that finds a newer schema than it knows refuses to start instead of guessing.
//
// Text columns that are compared or ordered (ids, owners, ISO timestamps, labels) are COLLATE
// "C": byte order, as in the SQLite store, whatever the database's locale. Times the store
// compares (poll times, leases, submissions, webhook replay windows) are epoch ms in bigint.
// A job's JSON is text, not jsonb: it is written and read whole, and jsonb refuses the NUL
// character a vendor's message may carry.

import type { ClientBase } from "pg";
import { PG_RATE_WINDOW_MIGRATION } from "./pg-rate-window.js";
import { PG_UPLOADS_TABLES } from "./pg-uploads.js";
import { quoteIdentifier } from "./pg-url.js";
import { StoreOpenError } from "./store-open-error.js";

export const PG_MIGRATIONS: string[] = [
  `CREATE TABLE jobs (
     id text COLLATE "C" PRIMARY KEY,
     provider text NOT NULL,
     task text NOT NULL,
     status text NOT NULL,
     owner text COLLATE "C" NOT NULL DEFAULT '',
     created_at text COLLATE "C" NOT NULL,
     needs_poll boolean NOT NULL,
     next_poll_at bigint,
     lease_holder text,
     lease_expires_at bigint,
     data text NOT NULL
   );
   CREATE INDEX jobs_by_created ON jobs (created_at DESC, id DESC);
   CREATE INDEX jobs_by_owner ON jobs (owner, created_at DESC, id DESC);
   CREATE INDEX jobs_by_owner_id ON jobs (owner, id);
   CREATE INDEX jobs_due ON jobs (next_poll_at) WHERE needs_poll;
   CREATE INDEX jobs_by_lease_holder ON jobs (lease_holder) WHERE lease_holder IS NOT NULL;
   CREATE TABLE idempotency_keys (
     key text COLLATE "C" NOT NULL,
     owner text COLLATE "C" NOT NULL,
     fingerprint text NOT NULL,
     job_id text,
     created_at text NOT NULL,
     PRIMARY KEY (key, owner)
   );
   CREATE TABLE submissions (
     id text PRIMARY KEY,
     provider text NOT NULL,
     owner text COLLATE "C" NOT NULL,
     idempotency_key text COLLATE "C",
     created_at bigint NOT NULL,
     holder text NOT NULL,
     held_until bigint NOT NULL,
     alive_at bigint NOT NULL,
     data text NOT NULL
   );
   CREATE INDEX submissions_by_key ON submissions (idempotency_key, owner) WHERE idempotency_key IS NOT NULL;
   CREATE TABLE result_parts (
     job_id text NOT NULL,
     name text COLLATE "C" NOT NULL,
     seq integer NOT NULL,
     content_type text NOT NULL,
     bytes bigint NOT NULL,
     data bytea NOT NULL,
     PRIMARY KEY (job_id, name, seq)
   );
   CREATE TABLE result_index (
     job_id text PRIMARY KEY,
     description text,
     data bytea NOT NULL
   );
   CREATE TABLE voiceprints (
     owner text COLLATE "C" NOT NULL DEFAULT '',
     label text COLLATE "C" NOT NULL,
     provider text NOT NULL,
     source_job_id text NOT NULL,
     voiceprint text NOT NULL,
     created_at text COLLATE "C" NOT NULL,
     PRIMARY KEY (owner, label)
   );
   CREATE TABLE webhook_deliveries (
     key text PRIMARY KEY,
     expires_at bigint NOT NULL
   );
   CREATE INDEX webhook_deliveries_by_expiry ON webhook_deliveries (expires_at);
   ${PG_UPLOADS_TABLES}`,
  // 2: the vendor request windows replicas share (pg-rate-window.ts).
  PG_RATE_WINDOW_MIGRATION,
  // 3: a user's upload quota is counted from that user's rows alone (UploadStore.usage).
  `CREATE INDEX uploads_by_owner ON uploads (owner);`,
];

/** Two-key advisory locks: this class (ASCII "mjm" + 1) and a hash of the search_path, so each schema migrates on its own. */
const MIGRATION_LOCK_CLASS = 0x6d6a6d01;

/**
 * Creates the schema the URL names (if any) and brings it to the newest version, holding a
 * session advisory lock for the whole run: replicas that start together wait for the first,
 * then find nothing left to do. A replica that dies mid-run drops its session and so its lock;
 * each version commits in its own transaction with its row in schema_migrations.
 */
export async function migratePostgres(client: ClientBase, options: { schema?: string; description: string; migrations?: string[] }): Promise<void> {
  const migrations = options.migrations ?? PG_MIGRATIONS;
  // Waiting for another replica's migrations is not a slow statement.
  await client.query("SET statement_timeout = 0");
  await client.query("SELECT pg_advisory_lock($1, hashtext(current_setting('search_path')))", [MIGRATION_LOCK_CLASS]);
  try {
    if (options.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}`);
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const { rows } = await client.query<{ version: number }>("SELECT COALESCE(MAX(version), 0)::integer AS version FROM schema_migrations");
    const current = rows[0]!.version;
    if (current > migrations.length) {
      throw new StoreOpenError(
        `the job store in PostgreSQL ${options.description} was written by a newer media-jobs-mcp (schema ${current}; this version knows ${migrations.length}): ` +
          "upgrade every replica to the same version, or point MEDIA_JOBS_DATABASE_URL at another database or ?schema= to run this version apart",
      );
    }
    for (let version = current + 1; version <= migrations.length; version++) {
      await client.query("BEGIN");
      try {
        await client.query(migrations[version - 1]!);
        await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock($1, hashtext(current_setting('search_path')))", [MIGRATION_LOCK_CLASS]).catch(() => undefined);
  }
}

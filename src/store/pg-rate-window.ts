// The shared vendor request window on PostgreSQL (see rate-window.ts). Each bucket (a vendor)
// has `limit` slot rows; a request takes the slot whose last use left the window longest ago,
// in ONE statement: the slot row is locked (SKIP LOCKED: a slot another replica is taking at
// this moment is passed over, never waited for) and re-checked before it is written, so no two
// requests get one slot and no more than `limit` are sent in any window, whatever the number of
// replicas. The window runs on the database's clock, the one clock every replica shares.
// Hot path: one UPDATE per vendor request; one more SELECT only when no slot is free.

import type { RateWindow } from "./rate-window.js";

/** What the store needs of a pg Pool (or client). */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** The table, as one migration of the PostgreSQL store (pg-migrations.ts). */
export const PG_RATE_WINDOW_MIGRATION = `CREATE TABLE rate_window_slots (
     bucket text NOT NULL,
     slot integer NOT NULL,
     taken_at bigint NOT NULL DEFAULT 0,
     PRIMARY KEY (bucket, slot)
   );`;

/** The database's clock in epoch ms, or the injected one (tests) when the parameter is not null. */
const clockAt = (parameter: number) => `COALESCE($${parameter}::bigint, (extract(epoch from statement_timestamp()) * 1000)::bigint)`;

/** When no slot came free although the window is not full (every free slot was being taken): look again this soon. */
const CONTENDED_RETRY_MS = 20;


export function createPgRateWindow(database: PgQueryable, options: { now?: () => number } = {}): RateWindow {
  /** Buckets whose slot rows exist up to this limit (created once per process). */
  const prepared = new Map<string, number>();
  const clock = () => (options.now ? Math.round(options.now()) : null);

  const prepare = async (bucket: string, limit: number) => {
    if ((prepared.get(bucket) ?? 0) >= limit) return;
    await database.query("INSERT INTO rate_window_slots (bucket, slot) SELECT $1, generate_series(0, $2::integer - 1) ON CONFLICT DO NOTHING", [bucket, limit]);
    prepared.set(bucket, limit);
  };

  return {
    async take(bucket, limit, windowMs, keepFree = 0) {
      limit = Math.max(1, Math.floor(limit));
      keepFree = Math.max(0, Math.floor(keepFree));
      windowMs = Math.round(windowMs);
      await prepare(bucket, limit);
      // Slots beyond `limit` (a limit that was larger once) are never used.
      const taken = await database.query(
        `WITH busy AS (
           SELECT count(*) AS n FROM rate_window_slots WHERE bucket = $1 AND slot < $2 AND taken_at > ${clockAt(5)} - $3
         ), free AS (
           SELECT slot FROM rate_window_slots
            WHERE bucket = $1 AND slot < $2 AND taken_at <= ${clockAt(5)} - $3
            ORDER BY taken_at LIMIT 1
            FOR UPDATE SKIP LOCKED
         )
         UPDATE rate_window_slots AS s SET taken_at = ${clockAt(5)}
           FROM free, busy
          WHERE s.bucket = $1 AND s.slot = free.slot AND busy.n + $4 < $2
         RETURNING s.slot`,
        [bucket, limit, windowMs, keepFree, clock()],
      );
      if (taken.rows.length > 0) return { granted: true };
      // The k-th oldest busy slot must leave the window before `keepFree` + 1 are free.
      const next = await database.query(
        `SELECT taken_at + $3 - ${clockAt(5)} AS wait FROM (
           SELECT taken_at, count(*) OVER () AS n, row_number() OVER (ORDER BY taken_at) AS k
             FROM rate_window_slots WHERE bucket = $1 AND slot < $2 AND taken_at > ${clockAt(5)} - $3
         ) AS busy WHERE k = n - $2 + $4 + 1`,
        [bucket, limit, windowMs, keepFree, clock()],
      );
      const wait = Number(next.rows[0]?.wait ?? CONTENDED_RETRY_MS);
      return { granted: false, retryAfterMs: Math.max(1, Number.isFinite(wait) ? wait : CONTENDED_RETRY_MS) };
    },
  };
}

// A vendor's request window shared by every process of a deployment. A vendor limit such as
// pyannoteAI's 100 requests a minute is per API key, so with N replicas on one database it must
// hold for all of them together: each request takes one of the window's `limit` slots in the
// store before it is sent (PostgreSQL: pg-rate-window.ts). The lanes, the interactive reserve
// and what the vendor says of its window stay in each process (request-budget.ts).

/** What a take answers: a slot, or how long until one may be free. */
export type RateWindowTake = { granted: true } | { granted: false; retryAfterMs: number };

export interface RateWindow {
  /**
   * Takes one of `limit` slots of `bucket`'s sliding window of `windowMs`, unless fewer than
   * `keepFree` + 1 are left (background work leaves the last ones to what a user waits on).
   * The window is timed on the store's clock, so replicas with skewed clocks agree on it.
   */
  take(bucket: string, limit: number, windowMs: number, keepFree?: number): Promise<RateWindowTake>;
}

/**
 * The same window in one process's memory. Stores whose file only one process uses (SQLite)
 * need no more than the process budget; this one is for tests and for stores that want the
 * interface without a shared backend.
 */
export function createMemoryRateWindow(now: () => number = Date.now): RateWindow {
  /** Per bucket, when each request of the window was sent, oldest first. */
  const windows = new Map<string, number[]>();
  return {
    async take(bucket, limit, windowMs, keepFree = 0) {
      const at = now();
      const sent = windows.get(bucket) ?? [];
      windows.set(bucket, sent);
      while (sent.length > 0 && sent[0]! <= at - windowMs) sent.shift();
      const over = sent.length + keepFree + 1 - limit;
      if (over <= 0) {
        sent.push(at);
        return { granted: true };
      }
      // The over-th oldest request must leave the window first.
      const leaves = sent[Math.min(over, sent.length) - 1];
      return { granted: false, retryAfterMs: leaves === undefined ? windowMs : Math.max(1, leaves + windowMs - at) };
    },
  };
}

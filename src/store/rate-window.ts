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

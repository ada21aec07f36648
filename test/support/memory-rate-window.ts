// A RateWindow in one process's memory, for tests of what draws from a shared window: several
// budgets (replicas) on one of these behave as on the PostgreSQL one (pg-rate-window.ts).

import type { RateWindow } from "../../src/store/rate-window.js";

/** The window in memory; `now` is the store's clock. */
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

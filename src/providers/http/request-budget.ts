// A sliding-window request budget (e.g. pyannoteAI: 100 requests/min) shared by the poller
// and tool calls, adopting what the vendor says about its own window.

import type { RateLimitInfo, RequestBudget } from "./types.js";

const WINDOW_MS = 60_000;

export function createRequestBudget(options: { requestsPerMinute: number; now?: () => number }): RequestBudget {
  const now = options.now ?? Date.now;
  const sent: number[] = [];
  /** Until when the vendor told us to hold off (remaining 0 until reset, or a 429). */
  let blockedUntil = 0;

  const prune = (at: number) => {
    while (sent.length > 0 && sent[0]! <= at - WINDOW_MS) sent.shift();
  };
  const waitMs = (at: number): number => {
    prune(at);
    const windowWait = sent.length >= options.requestsPerMinute ? sent[0]! + WINDOW_MS - at : 0;
    return Math.max(windowWait, blockedUntil - at, 0);
  };

  return {
    async take(signal) {
      for (;;) {
        if (signal?.aborted) throw signal.reason ?? new Error("aborted");
        const at = now();
        const wait = waitMs(at);
        if (wait <= 0) {
          sent.push(at);
          return;
        }
        await new Promise<void>((resolve) => {
          // Short naps, so a window that moves early (vendor headers, a test clock) is noticed.
          const timer = setTimeout(resolve, Math.min(wait, 250));
          signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          }, { once: true });
        });
      }
    },
    available() {
      const at = now();
      if (blockedUntil > at) return 0;
      prune(at);
      return Math.max(0, options.requestsPerMinute - sent.length);
    },
    observe(info: RateLimitInfo & { retryAfterMs?: number }) {
      const at = now();
      if (info.retryAfterMs !== undefined) blockedUntil = Math.max(blockedUntil, at + info.retryAfterMs);
      if (info.remaining !== undefined && info.remaining <= 0 && info.resetAtMs !== undefined) {
        blockedUntil = Math.max(blockedUntil, Math.min(info.resetAtMs, at + WINDOW_MS));
      }
    },
  };
}

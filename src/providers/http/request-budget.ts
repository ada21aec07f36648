// A sliding-window request budget (e.g. pyannoteAI: 100 requests/min) shared by the poller
// and tool calls, adopting what the vendor says about its own window: when it says nothing
// remains until Reset, or answers 429 with Retry-After, requests wait instead of collecting
// more 429s.

import type { RateLimitInfo, RequestBudget } from "./types.js";

const WINDOW_MS = 60_000;
/** The longest we hold every request on the vendor's word (a Retry-After of a day is not obeyed blindly). */
const MAX_VENDOR_HOLD_MS = 10 * 60_000;
/** Without a scheduler of its own, a waiting take() looks again this often (the vendor may lift a hold). */
const DEFAULT_NAP_MS = 1_000;

export interface RequestBudgetOptions {
  requestsPerMinute: number;
  now?: () => number;
  /** Waits `ms` or until the signal aborts; tests pass one that advances their clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function createRequestBudget(options: RequestBudgetOptions): RequestBudget {
  const now = options.now ?? Date.now;
  const perMinute = Math.max(1, Math.floor(options.requestsPerMinute));
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => nap(Math.min(ms, DEFAULT_NAP_MS), signal));
  /** When each request of the last minute was sent, oldest first. */
  const sent: number[] = [];
  /** Until when the vendor told us to hold off (a 429's Retry-After). */
  let blockedUntil = 0;
  /** What the vendor said remains of its window, until when. */
  let vendorWindow: { remaining: number; resetAt: number } | undefined;

  const prune = (at: number) => {
    while (sent.length > 0 && sent[0]! <= at - WINDOW_MS) sent.shift();
    if (vendorWindow && at >= vendorWindow.resetAt) vendorWindow = undefined;
  };
  const waitMs = (at: number): number => {
    prune(at);
    let wait = blockedUntil - at;
    if (sent.length >= perMinute) wait = Math.max(wait, sent[0]! + WINDOW_MS - at);
    if (vendorWindow && vendorWindow.remaining <= 0) wait = Math.max(wait, vendorWindow.resetAt - at);
    return Math.max(0, wait);
  };

  return {
    async take(signal) {
      for (;;) {
        if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
        const at = now();
        const wait = waitMs(at);
        if (wait <= 0) {
          sent.push(at);
          if (vendorWindow) vendorWindow.remaining -= 1;
          return;
        }
        await sleep(wait, signal);
      }
    },

    available() {
      const at = now();
      if (waitMs(at) > 0) return 0;
      const local = perMinute - sent.length;
      return Math.max(0, vendorWindow ? Math.min(local, vendorWindow.remaining) : local);
    },

    observe(info: RateLimitInfo & { retryAfterMs?: number }) {
      const at = now();
      if (info.retryAfterMs !== undefined && info.retryAfterMs > 0) {
        blockedUntil = Math.max(blockedUntil, at + Math.min(info.retryAfterMs, MAX_VENDOR_HOLD_MS));
      }
      if (info.remaining === undefined) return;
      const remaining = Math.max(0, Math.floor(info.remaining));
      // A reset further than one window away is not trusted past it; with no reset at all, a
      // vendor that says "0 left" gets one request interval of rest.
      const resetAt =
        info.resetAtMs !== undefined ? Math.min(info.resetAtMs, at + WINDOW_MS) : remaining <= 0 ? at + Math.ceil(WINDOW_MS / perMinute) : undefined;
      if (resetAt !== undefined && resetAt > at) vendorWindow = { remaining, resetAt };
    },
  };
}

function nap(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

// A sliding-window request budget (e.g. pyannoteAI: 100 requests/min) shared by the poller
// and tool calls, adopting what the vendor says about its own window: when it says nothing
// remains until Reset, or answers 429 with Retry-After, requests wait instead of collecting
// more 429s.
//
// Two lanes. What a user waits on (tool calls) is "interactive": it may use the whole window
// and waits for a slot, but never past its caller's deadline — when the next slot comes later
// than that, it fails at once (a get_job wait must end on time, not after the vendor's minute).
// Background work is "background": it never takes a slot while an interactive request is
// waiting. A background status poll never waits and never takes the last `reserve` slots of
// the window: it is told to come back later (RequestBudgetError with the time of the next
// free slot). A background result fetch, many pages long and once per job, is `patient`: it
// waits for slots (the whole window, so a 50-page catalog is not held up a minute by the
// reserve), still stepping aside for any interactive request that waits.
//
// With replicas (several processes on one PostgreSQL store) the vendor's limit is the whole
// cluster's: given a shared RateWindow, a request this process would let through must also
// get a slot of the shared window, background requests keeping the reserve free there too.
// The process's own window stays in front of it, so a process that alone used up the minute
// does not ask the database at all.

import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "../../logger.js";
import type { RateWindow } from "../../store/rate-window.js";
import type { RateLimitInfo, RequestBudget, RequestBudgetTake } from "./types.js";

const WINDOW_MS = 60_000;
/** The longest we hold every request on the vendor's word (a Retry-After of a day is not obeyed blindly). */
const MAX_VENDOR_HOLD_MS = 10 * 60_000;
/** Without a scheduler of its own, a waiting take() looks again this often (the vendor may lift a hold). */
const DEFAULT_NAP_MS = 1_000;
/** How long patient background work steps back while an interactive call waits for a slot. */
const YIELD_MS = 250;
/** Share of the window kept free of background polling for what a user waits on. */
const INTERACTIVE_RESERVE_SHARE = 0.2;
/**
 * The shared window is timed when a slot is taken, the vendor counts when a request arrives:
 * between the two lie a database round trip, the connection and any pause of the sending
 * process, more for some requests than others. A slot is reused only this much after a window,
 * so a request held up on its way cannot share the vendor's minute with its slot's next one.
 */
const SHARED_WINDOW_MARGIN_MS = 1_000;

export type RequestLane = "interactive" | "background";

/** Who is asking, for the vendor calls made inside `work`: the lane and the caller's deadline. */
export interface BudgetScope {
  lane: RequestLane;
  /** Epoch ms after which the caller no longer waits for an answer. */
  deadlineAt?: number;
  /** Background work that waits for a background slot instead of deferring (result fetches). */
  patient?: boolean;
}

const scopes = new AsyncLocalStorage<BudgetScope>();

/**
 * Runs `work` with its vendor calls in `scope`. The vendor HTTP client reads it, so the lane
 * and deadline reach the budget without every adapter call site passing them along.
 */
export function withBudgetScope<T>(scope: BudgetScope, work: () => Promise<T>): Promise<T> {
  return scopes.run(scope, work);
}

/** The scope of the current call; calls outside any scope are interactive without a deadline. */
export function currentBudgetScope(): BudgetScope {
  return scopes.getStore() ?? { lane: "interactive" };
}

/** The budget has no slot for this request in time: background polling defers, a waiter stops. */
export class RequestBudgetError extends Error {
  constructor(
    readonly lane: RequestLane,
    /** When a slot may be free again, in ms from now. */
    readonly retryAfterMs: number,
  ) {
    super(lane === "background" ? "request budget kept for interactive calls" : "request budget has no slot before the caller's deadline");
    this.name = "RequestBudgetError";
  }
}

export interface RequestBudgetOptions {
  requestsPerMinute: number;
  now?: () => number;
  /** Waits `ms` or until the signal aborts; tests pass one that advances their clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Slots of the window background polling leaves free (default 20 % of it, at least 1). */
  interactiveReserve?: number;
  /** The window every process of the deployment draws from (replicas), and this vendor's bucket in it. */
  shared?: { window: RateWindow; bucket: string; onError?: (error: unknown) => void };
}

export function createRequestBudget(options: RequestBudgetOptions): RequestBudget {
  const now = options.now ?? Date.now;
  const perMinute = Math.max(1, Math.floor(options.requestsPerMinute));
  const reserve = Math.min(perMinute - 1, Math.max(0, Math.floor(options.interactiveReserve ?? Math.max(1, Math.ceil(perMinute * INTERACTIVE_RESERVE_SHARE)))));
  const sleep = options.sleep ?? ((ms: number, signal?: AbortSignal) => nap(Math.min(ms, DEFAULT_NAP_MS), signal));
  /** When each request of the last minute was sent, oldest first. */
  const sent: number[] = [];
  /** Until when the vendor told us to hold off (a 429's Retry-After). */
  let blockedUntil = 0;
  /** What the vendor said remains of its window, until when. */
  let vendorWindow: { remaining: number; resetAt: number } | undefined;
  /** Interactive requests waiting for a slot; background polling yields to them. */
  let interactiveWaiting = 0;

  const prune = (at: number) => {
    while (sent.length > 0 && sent[0]! <= at - WINDOW_MS) sent.shift();
    if (vendorWindow && at >= vendorWindow.resetAt) vendorWindow = undefined;
  };
  /** Time until a request may go, keeping `keepFree` slots of the window unused. */
  const waitMs = (at: number, keepFree = 0): number => {
    prune(at);
    let wait = blockedUntil - at;
    if (sent.length + keepFree >= perMinute) wait = Math.max(wait, sent[Math.min(sent.length - 1, sent.length + keepFree - perMinute)]! + WINDOW_MS - at);
    if (vendorWindow && vendorWindow.remaining - keepFree <= 0) wait = Math.max(wait, vendorWindow.resetAt - at);
    return Math.max(0, wait);
  };
  const record = (at: number) => {
    sent.push(at);
    if (vendorWindow) vendorWindow.remaining -= 1;
  };
  const unrecord = (at: number) => {
    const index = sent.lastIndexOf(at);
    if (index >= 0) sent.splice(index, 1);
    if (vendorWindow) vendorWindow.remaining += 1;
  };
  /**
   * With a shared window: the slot this process just recorded must also be the cluster's.
   * Returns 0 when it is, else how long until the shared window may have one (the local record
   * is undone). A store that cannot answer does not stop the vendor calls: the process window
   * still holds, the vendor's 429s still slow us down, and the error is reported.
   */
  const takeShared = async (at: number, keepFree: number): Promise<number> => {
    const shared = options.shared;
    if (!shared) return 0;
    let answer;
    try {
      answer = await shared.window.take(shared.bucket, perMinute, WINDOW_MS + SHARED_WINDOW_MARGIN_MS, keepFree);
    } catch (error) {
      shared.onError?.(error);
      return 0;
    }
    if (answer.granted) return 0;
    unrecord(at);
    return Math.max(1, answer.retryAfterMs);
  };

  return {
    async take(signal?: AbortSignal, request: RequestBudgetTake = {}) {
      const lane = request.lane ?? "interactive";
      if (lane === "background") {
        for (;;) {
          if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
          const at = now();
          const keepFree = request.patient ? 0 : reserve;
          let wait = waitMs(at, keepFree);
          if (wait <= 0 && interactiveWaiting === 0) {
            record(at);
            wait = await takeShared(at, keepFree);
            if (wait <= 0) return;
          }
          // Behind a waiting interactive call there is no slot time to compute: look again soon.
          const retryMs = Math.max(wait, YIELD_MS);
          if (!request.patient || (request.deadlineAt !== undefined && at + retryMs > request.deadlineAt)) throw new RequestBudgetError("background", Math.max(retryMs, 1_000));
          await sleep(retryMs, signal);
        }
      }
      let counted = false;
      try {
        for (;;) {
          if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
          let at = now();
          let wait = waitMs(at);
          if (wait <= 0) {
            record(at);
            wait = await takeShared(at, 0);
            if (wait <= 0) return;
            at = now();
          }
          // A slot after the caller's deadline is no use to it: say so now, not then.
          if (request.deadlineAt !== undefined && at + wait > request.deadlineAt) throw new RequestBudgetError("interactive", wait);
          if (!counted) {
            counted = true;
            interactiveWaiting++;
          }
          await sleep(request.deadlineAt !== undefined ? Math.min(wait, request.deadlineAt - at) : wait, signal);
        }
      } finally {
        if (counted) interactiveWaiting--;
      }
    },

    available(lane: RequestLane = "interactive") {
      const at = now();
      const keepFree = lane === "background" ? reserve : 0;
      if (waitMs(at, keepFree) > 0 || (lane === "background" && interactiveWaiting > 0)) return 0;
      const local = perMinute - keepFree - sent.length;
      return Math.max(0, vendorWindow ? Math.min(local, vendorWindow.remaining - keepFree) : local);
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

    backgroundPerMinute() {
      return perMinute - reserve;
    },
  };
}

/** How often a store that cannot answer for the shared window is reported. */
const SHARED_ERROR_REPORT_MS = 60_000;

/**
 * One vendor's budget as the adapters build it: the process window, and the deployment's when
 * the store shares one (`rateWindow`, PostgreSQL). `vendor` names the shared bucket: one per
 * vendor, since every replica uses the same key.
 */
export function createVendorBudget(vendor: string, requestsPerMinute: number, deps: { rateWindow?: RateWindow; logger: Logger }): RequestBudget {
  const { rateWindow, logger } = deps;
  let reportedAt = Number.NEGATIVE_INFINITY;
  return createRequestBudget({
    requestsPerMinute,
    shared: rateWindow && {
      window: rateWindow,
      bucket: vendor,
      onError: (error) => {
        if (Date.now() - reportedAt < SHARED_ERROR_REPORT_MS) return;
        reportedAt = Date.now();
        logger.warning(`the shared ${vendor} request window could not be read; this process keeps to its own window meanwhile`, {
          error: error instanceof Error ? error.message : String(error),
        });
      },
    },
  });
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

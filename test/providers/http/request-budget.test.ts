import { describe, expect, it } from "vitest";
import { createRequestBudget, RequestBudgetError } from "../../../src/providers/http/request-budget.js";
import { seededRandom } from "../../../src/bench/seeded-random.js";
import type { RateWindow } from "../../../src/store/rate-window.js";
import { createMemoryRateWindow } from "../../support/memory-rate-window.js";

/** A clock that only moves when the budget sleeps, so every wait is exact and instant. */
function fakeClock(start = 0) {
  const clock = {
    now: start,
    sleeps: [] as number[],
    read: () => clock.now,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.now += ms;
    },
  };
  return clock;
}

describe("request budget", () => {
  it("lets N requests through per sliding minute, then waits for the oldest to leave the window", async () => {
    const clock = fakeClock();
    const budget = createRequestBudget({ requestsPerMinute: 3, now: clock.read, sleep: clock.sleep });
    await budget.take();
    clock.now = 10_000;
    await budget.take();
    clock.now = 20_000;
    await budget.take();
    expect(budget.available()).toBe(0);
    await budget.take();
    expect(clock.now).toBe(60_000); // the request from t=0 left the window
    await budget.take();
    expect(clock.now).toBe(70_000);
    clock.now = 200_000;
    expect(budget.available()).toBe(3);
  });

  it("waits until the vendor's reset when it says nothing remains", async () => {
    const clock = fakeClock(1_000);
    const budget = createRequestBudget({ requestsPerMinute: 100, now: clock.read, sleep: clock.sleep });
    budget.observe({ limit: 100, remaining: 0, resetAtMs: 31_000 });
    expect(budget.available()).toBe(0);
    await budget.take();
    expect(clock.now).toBe(31_000);
    expect(budget.available()).toBe(99);
  });

  it("adopts a smaller remaining count from the vendor until its reset", async () => {
    const clock = fakeClock(0);
    const budget = createRequestBudget({ requestsPerMinute: 100, now: clock.read, sleep: clock.sleep });
    budget.observe({ remaining: 2, resetAtMs: 5_000 });
    expect(budget.available()).toBe(2);
    await budget.take();
    await budget.take();
    expect(clock.now).toBe(0);
    await budget.take();
    expect(clock.now).toBe(5_000);
  });

  it("holds every request for a 429's Retry-After", async () => {
    const clock = fakeClock(0);
    const budget = createRequestBudget({ requestsPerMinute: 100, now: clock.read, sleep: clock.sleep });
    budget.observe({ retryAfterMs: 5_000 });
    expect(budget.available()).toBe(0);
    await budget.take();
    expect(clock.now).toBe(5_000);
  });

  it("does not trust a reset more than a window away, nor a Retry-After of hours", async () => {
    const clock = fakeClock(0);
    const budget = createRequestBudget({ requestsPerMinute: 100, now: clock.read, sleep: clock.sleep });
    budget.observe({ remaining: 0, resetAtMs: 10 * 3_600_000 });
    await budget.take();
    expect(clock.now).toBe(60_000);
    budget.observe({ retryAfterMs: 5 * 3_600_000 });
    await budget.take();
    expect(clock.now).toBe(60_000 + 600_000);
  });

  it("gives one request interval of rest when the vendor says 0 remain without a reset", async () => {
    const clock = fakeClock(0);
    const budget = createRequestBudget({ requestsPerMinute: 120, now: clock.read, sleep: clock.sleep });
    budget.observe({ remaining: 0 });
    await budget.take();
    expect(clock.now).toBe(500);
  });

  it("stops waiting when the signal aborts", async () => {
    let now = 0;
    const budget = createRequestBudget({
      requestsPerMinute: 1,
      now: () => now,
      // A sleep that only ends on abort: the clock never moves.
      sleep: (_ms, signal) => new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve(), { once: true })),
    });
    await budget.take();
    const controller = new AbortController();
    const pending = budget.take(controller.signal);
    controller.abort(new Error("caller gave up"));
    await expect(pending).rejects.toThrow("caller gave up");
    now = 60_000;
    await budget.take();
  });

  it("waits on the real clock by default", async () => {
    const budget = createRequestBudget({ requestsPerMinute: 10 });
    budget.observe({ retryAfterMs: 20 });
    expect(budget.available()).toBe(0);
    await budget.take();
    expect(budget.available()).toBe(9);
  });

  it("never holds an interactive request past its caller's deadline: 200 waits on a spent window all end at once", async () => {
    const clock = fakeClock(0);
    const budget = createRequestBudget({ requestsPerMinute: 100, now: clock.read, sleep: clock.sleep });
    for (let index = 0; index < 100; index++) await budget.take();
    // The window frees its first slot at 60 s; each caller waits 50 s at most.
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, () => budget.take(undefined, { deadlineAt: clock.now + 50_000 })));
    expect(outcomes.every((outcome) => outcome.status === "rejected" && outcome.reason instanceof RequestBudgetError)).toBe(true);
    expect((outcomes[0] as PromiseRejectedResult).reason.retryAfterMs).toBe(60_000);
    expect(clock.sleeps).toEqual([]);
    expect(clock.now).toBe(0);
  });

  it("as a property: no budget wait outlasts the time left before the caller's deadline", async () => {
    const random = seededRandom(20261130);
    for (let round = 0; round < 200; round++) {
      const perMinute = 1 + Math.floor(random() * 20);
      const clock = fakeClock(0);
      const sleeps: Array<{ ms: number; left: number }> = [];
      let deadlineAt = 0;
      const budget = createRequestBudget({
        requestsPerMinute: perMinute,
        now: clock.read,
        sleep: async (ms) => {
          sleeps.push({ ms, left: deadlineAt - clock.now });
          clock.now += ms;
        },
      });
      if (random() < 0.3) budget.observe({ retryAfterMs: Math.floor(random() * 120_000) });
      if (random() < 0.3) budget.observe({ remaining: Math.floor(random() * 3), resetAtMs: Math.floor(random() * 90_000) });
      for (let request = 0; request < 40; request++) {
        clock.now += Math.floor(random() * 5_000);
        deadlineAt = clock.now + Math.floor(random() * 70_000);
        const before = clock.now;
        try {
          await budget.take(undefined, { deadlineAt });
        } catch (error) {
          expect(error).toBeInstanceOf(RequestBudgetError);
          // Refused without waiting, and only because the slot comes after the deadline.
          expect(clock.now).toBe(before);
          expect(before + (error as RequestBudgetError).retryAfterMs).toBeGreaterThan(deadlineAt);
        }
        expect(clock.now).toBeLessThanOrEqual(deadlineAt);
      }
      for (const sleep of sleeps) expect(sleep.ms).toBeLessThanOrEqual(sleep.left);
    }
  });

  it("background polling never waits, leaves the reserve to interactive calls, and yields to a waiting one", async () => {
    const clock = fakeClock(0);
    const budget = createRequestBudget({ requestsPerMinute: 10, interactiveReserve: 3, now: clock.read, sleep: clock.sleep });
    for (let index = 0; index < 7; index++) await budget.take(undefined, { lane: "background" });
    expect(budget.available("background")).toBe(0);
    const refused = await budget.take(undefined, { lane: "background" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RequestBudgetError);
    expect((refused as RequestBudgetError).lane).toBe("background");
    expect(clock.sleeps).toEqual([]);
    // The reserve is the user's: three interactive calls go at once.
    for (let index = 0; index < 3; index++) await budget.take();
    expect(clock.now).toBe(0);

    // An interactive call waiting for a slot goes before background polling.
    const sleeps: Array<() => void> = [];
    let now = 0;
    const shared = createRequestBudget({
      requestsPerMinute: 2,
      interactiveReserve: 0,
      now: () => now,
      sleep: () => new Promise<void>((resolve) => sleeps.push(resolve)),
    });
    await shared.take();
    await shared.take();
    const waiting = shared.take();
    await Promise.resolve();
    now = 60_001;
    await expect(shared.take(undefined, { lane: "background" })).rejects.toBeInstanceOf(RequestBudgetError);
    sleeps.shift()!();
    await waiting;
  });

  it("lets patient background work (a result fetch, page by page) wait for slots instead of stopping half-way, behind waiting calls", async () => {
    const clock = fakeClock(0);
    const budget = createRequestBudget({ requestsPerMinute: 5, interactiveReserve: 2, now: clock.read, sleep: clock.sleep });
    for (let page = 0; page < 7; page++) await budget.take(undefined, { lane: "background", patient: true });
    // The whole window, then a wait for it to slide: pages 6 and 7 went at 60 s.
    expect(clock.now).toBe(60_000);
    expect(clock.sleeps).toEqual([60_000]);

    // With an interactive call waiting, a patient fetch steps aside until it has gone.
    let now = 0;
    const wakers: Array<() => void> = [];
    const shared = createRequestBudget({ requestsPerMinute: 1, interactiveReserve: 0, now: () => now, sleep: () => new Promise<void>((resolve) => wakers.push(resolve)) });
    await shared.take();
    const order: string[] = [];
    const interactive = shared.take().then(() => order.push("interactive"));
    await Promise.resolve();
    const fetchPage = shared.take(undefined, { lane: "background", patient: true }).then(() => order.push("fetch"));
    await Promise.resolve();
    now = 60_000;
    for (let round = 0; round < 4 && order.length < 1; round++) {
      for (const wake of wakers.splice(0)) wake();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(order).toEqual(["interactive"]);
    now = 120_000;
    for (let round = 0; round < 4 && order.length < 2; round++) {
      for (const wake of wakers.splice(0)) wake();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([interactive, fetchPage]);
    expect(order).toEqual(["interactive", "fetch"]);
  });

  describe("with a window shared by replicas", () => {
    it("lets N requests a minute through for all processes together, each waiting for the cluster's next slot", async () => {
      const clock = fakeClock();
      const window = createMemoryRateWindow(clock.read);
      const replica = () => createRequestBudget({ requestsPerMinute: 4, interactiveReserve: 1, now: clock.read, sleep: clock.sleep, shared: { window, bucket: "pyannote" } });
      const [a, b, c] = [replica(), replica(), replica()];
      await a.take();
      await b.take();
      clock.now = 5_000;
      await c.take();
      await a.take();
      // Each process alone has room, the cluster has none: the fifth waits for the first to leave
      // the window (plus the margin that covers a request's way to the vendor).
      expect(b.available()).toBeGreaterThan(0);
      await b.take();
      expect(clock.now).toBe(61_000);
      // Background polling finds the reserve kept cluster-wide: one slot is free, it is the user's.
      clock.now = 62_000;
      await expect(c.take(undefined, { lane: "background" })).rejects.toBeInstanceOf(RequestBudgetError);
      await c.take();
      expect(clock.now).toBe(62_000);
    });

    it("keeps polling within the process window when the store cannot answer, and reports it", async () => {
      const clock = fakeClock();
      const errors: unknown[] = [];
      const broken: RateWindow = { take: () => Promise.reject(new Error("database unreachable")) };
      const budget = createRequestBudget({ requestsPerMinute: 2, now: clock.read, sleep: clock.sleep, shared: { window: broken, bucket: "pyannote", onError: (error) => errors.push(error) } });
      await budget.take();
      await budget.take();
      await budget.take();
      expect(clock.now).toBe(60_000);
      expect(errors).toHaveLength(3);
    });
  });
});

import { describe, expect, it } from "vitest";
import { createRequestBudget } from "../../../src/providers/http/request-budget.js";

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
});

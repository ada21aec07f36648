import { describe, expect, it } from "vitest";
import { parseRetryAfterMs } from "../../../src/providers/http/retry-after.js";
import { resetToEpochMs } from "../../../src/providers/http/vendor-http-client.js";

describe("Retry-After", () => {
  it("reads delta-seconds and HTTP-dates", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(parseRetryAfterMs("7", now)).toBe(7_000);
    expect(parseRetryAfterMs(" 0 ", now)).toBe(0);
    expect(parseRetryAfterMs("Sun, 22 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfterMs("Sun, 22 Nov 2026 09:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfterMs("soon", now)).toBeUndefined();
    expect(parseRetryAfterMs("-5", now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe("X-RateLimit-Reset", () => {
  it("tells epoch seconds (and ms) from seconds from now", () => {
    expect(resetToEpochMs(30, 1_000)).toBe(31_000);
    expect(resetToEpochMs(1_900_000_000, 1_000)).toBe(1_900_000_000_000);
    expect(resetToEpochMs(1_900_000_000_123, 1_000)).toBe(1_900_000_000_123);
  });
});

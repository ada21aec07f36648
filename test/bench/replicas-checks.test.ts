// The replicas bench's assertions are only worth their figures if they can fail: each check is
// fed a log with the fault it looks for, and one without.

import { describe, expect, it } from "vitest";
import { leaseTakeovers, onePostPerJob, peakInWindow, pollsByOneReplica } from "../../src/bench/replicas/checks.js";
import type { FakeLogEntry } from "../../src/bench/replicas/cluster.js";

let sequence = 0;
function request(server: number, method: string, path: string, receivedAt: number, extra: Partial<FakeLogEntry> = {}): FakeLogEntry {
  return { server, sequence: ++sequence, method, path, receivedAt, answeredAt: receivedAt + 5, status: 200, ...extra };
}

describe("replicas bench checks", () => {
  it("finds a job POSTed twice, one never POSTed, one refused, and a POST no job asked for", () => {
    const log = [
      request(0, "POST", "/v1/diarize", 1, { mediaUrl: "https://m/a" }),
      request(1, "POST", "/v1/diarize", 2, { mediaUrl: "https://m/b" }),
      request(2, "POST", "/v1/diarize", 3, { mediaUrl: "https://m/b" }),
      request(2, "POST", "/v1/diarize", 4, { mediaUrl: "https://m/c", status: 429 }),
      request(2, "POST", "/v1/diarize", 5, { mediaUrl: "https://m/x" }),
    ];
    expect(onePostPerJob(log, ["https://m/a"])).toEqual(["https://m/b: POSTed but no job asked for it", "https://m/c: POSTed but no job asked for it", "https://m/x: POSTed but no job asked for it"]);
    expect(onePostPerJob(log, ["https://m/a", "https://m/b", "https://m/c", "https://m/d", "https://m/x"])).toEqual([
      "https://m/b: 2 vendor POSTs",
      "https://m/c: its one POST was answered 429",
      "https://m/d: 0 vendor POSTs",
    ]);
  });

  it("accepts a lease taken after the holder's expired or from nobody, and flags one taken before", () => {
    const result = leaseTakeovers([
      { jobId: "j1", oldHolder: null, oldExpiresAt: null, newHolder: "a", at: 10 },
      { jobId: "j1", oldHolder: "a", oldExpiresAt: 100, newHolder: "b", at: 100 },
      { jobId: "j2", oldHolder: "a", oldExpiresAt: 500, newHolder: "b", at: 200 },
    ]);
    expect(result.takeovers).toBe(2);
    expect(result.violations).toEqual(["j2: b took the lease 300 ms before a's expired"]);
  });

  it("flags a job polled by two replicas at the same time, or moved while its replica lived; a move after a kill is fine", () => {
    const kills = [[], [150], []];
    const moved = [request(1, "GET", "/v1/jobs/j1", 100), request(0, "GET", "/v1/jobs/j1", 200)];
    expect(pollsByOneReplica(moved, kills)).toEqual({ handovers: 1, violations: [] });
    const overlapping = [request(0, "GET", "/v1/jobs/j2", 100, { answeredAt: 300 }), request(2, "GET", "/v1/jobs/j2", 200)];
    expect(pollsByOneReplica(overlapping, kills).violations).toEqual(["j2: replicas 0 and 2 polled it at the same time"]);
    const stolen = [request(0, "GET", "/v1/jobs/j3", 100), request(2, "GET", "/v1/jobs/j3", 200)];
    expect(pollsByOneReplica(stolen, kills).violations).toEqual(["j3: polled by replica 2 while replica 0, which polled it before, was alive"]);
    // Listings and other jobs' polls are not one job's polls.
    expect(pollsByOneReplica([request(0, "GET", "/v2/jobs", 1), request(1, "GET", "/v2/jobs", 1), request(1, "GET", "/v1/jobs/j4", 2)], kills).handovers).toBe(0);
  });

  it("counts the most requests let through in any sliding minute, 429s left out", () => {
    const log = [
      ...Array.from({ length: 5 }, (_, index) => request(0, "GET", "/v2/jobs", index * 10_000)),
      request(1, "GET", "/v2/jobs", 55_000, { status: 429 }),
      request(1, "GET", "/v2/jobs", 61_000),
    ];
    expect(peakInWindow(log)).toEqual({ peak: 5, at: 40_000 });
    expect(peakInWindow(log, 30_000).peak).toBe(3);
  });
});

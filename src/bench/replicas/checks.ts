// What the replicas bench asserts, as pure functions over what it recorded: the vendor fake's
// request log (which replica sent each request, when), the store's lease audit, and the
// answers the clients got. Each returns the violations it found, none when the property holds.

import type { FakeLogEntry } from "./cluster.js";

/** A lease changing hands, as the audit trigger recorded it (epoch ms on the database clock). */
export interface LeaseChange {
  jobId: string;
  oldHolder: string | null;
  oldExpiresAt: number | null;
  newHolder: string;
  at: number;
}

/** Exactly one create call per job: `mediaUrls` are the jobs' inputs, one distinct URL each. */
export function onePostPerJob(requests: FakeLogEntry[], mediaUrls: string[], createPath = "/v1/diarize"): string[] {
  const posts = new Map<string, FakeLogEntry[]>();
  for (const request of requests) {
    if (request.method !== "POST" || request.path !== createPath || !request.mediaUrl) continue;
    posts.set(request.mediaUrl, [...(posts.get(request.mediaUrl) ?? []), request]);
  }
  const violations: string[] = [];
  for (const url of mediaUrls) {
    const sent = posts.get(url) ?? [];
    if (sent.length !== 1) violations.push(`${url}: ${sent.length} vendor POSTs`);
    else if (sent[0]!.status !== 200) violations.push(`${url}: its one POST was answered ${sent[0]!.status ?? "nothing"}`);
  }
  const unknown = [...posts.keys()].filter((url) => !mediaUrls.includes(url));
  for (const url of unknown) violations.push(`${url}: POSTed but no job asked for it`);
  return violations;
}

/** A lease taken from another holder before that holder's lease had expired: two replicas on one job. */
export function leaseTakeovers(changes: LeaseChange[]): { takeovers: number; violations: string[] } {
  let takeovers = 0;
  const violations: string[] = [];
  for (const change of changes) {
    if (change.oldHolder === null || change.oldHolder === change.newHolder) continue;
    takeovers++;
    if (change.oldExpiresAt !== null && change.oldExpiresAt > change.at) {
      violations.push(`${change.jobId}: ${change.newHolder} took the lease ${change.oldExpiresAt - change.at} ms before ${change.oldHolder}'s expired`);
    }
  }
  return { takeovers, violations };
}

/**
 * No job polled by two replicas at once, from the vendor's side: the requests for one job
 * (GET /v1/jobs/{id}) that came from different replicas (ports) never overlap in time, and a job
 * moves to another replica only after the one that polled it before was killed in between.
 * `kills[server]` are the kill times of the replica that sends to that port.
 */
export function pollsByOneReplica(requests: FakeLogEntry[], kills: number[][], jobPath = /^\/v1\/jobs\/([^/]+)$/): { handovers: number; violations: string[] } {
  const byJob = new Map<string, FakeLogEntry[]>();
  for (const request of requests) {
    const match = request.method === "GET" ? jobPath.exec(request.path) : null;
    if (!match) continue;
    byJob.set(match[1]!, [...(byJob.get(match[1]!) ?? []), request]);
  }
  let handovers = 0;
  const violations: string[] = [];
  for (const [job, polls] of byJob) {
    polls.sort((a, b) => a.sequence - b.sequence);
    for (let index = 1; index < polls.length; index++) {
      const previous = polls[index - 1]!;
      const current = polls[index]!;
      if (previous.server === current.server) continue;
      handovers++;
      const previousEnd = previous.answeredAt ?? Number.POSITIVE_INFINITY;
      if (current.receivedAt < previousEnd) {
        violations.push(`${job}: replicas ${previous.server} and ${current.server} polled it at the same time`);
        continue;
      }
      const killedBetween = (kills[previous.server] ?? []).some((at) => at >= previous.receivedAt && at <= current.receivedAt);
      if (!killedBetween) violations.push(`${job}: polled by replica ${current.server} while replica ${previous.server}, which polled it before, was alive`);
    }
  }
  return { handovers, violations };
}

/** The most requests the vendor let through in any sliding window of `windowMs` (by arrival). */
export function peakInWindow(requests: FakeLogEntry[], windowMs = 60_000): { peak: number; at?: number } {
  const times = requests.filter((request) => request.status !== 429 && !request.path.startsWith("/upload")).map((request) => request.receivedAt).sort((a, b) => a - b);
  let peak = 0;
  let at: number | undefined;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[start]! <= times[end]! - windowMs) start++;
    if (end - start + 1 > peak) {
      peak = end - start + 1;
      at = times[end];
    }
  }
  return { peak, at };
}

/** The value below which `share` (0–1) of the samples fall (nearest rank). */
export function percentile(samples: number[], share: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

// What every JobStore shares about a stored job row: the cursor of listJobs, whether a job
// still needs polling, and how a row that cannot be read is recognised and stood in for.

import { z } from "zod";
import { isTerminal, JOB_STATUSES, PROVIDER_IDS, TASK_IDS, type Job, type JobStatus, type ProviderId, type TaskId } from "../jobs/job.js";

/** A listJobs cursor this server did not issue (list_jobs turns it into a user input error). */
export class InvalidCursorError extends Error {}

export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString("base64url");
}

/** The position after which the next page starts (newest first by createdAt, then id). */
export function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "string") {
      return [value[0], value[1]];
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError("cursor is not one this server issued");
}

/** Non-terminal, or succeeded without stored results: the poller still has work on it. */
export function needsPoll(job: Job): boolean {
  return !isTerminal(job.status) || (job.status === "succeeded" && job.resultState === "none");
}

/**
 * What a stored job must look like to be used. Rows are written by this server, but a store can
 * be damaged (disk errors, hand edits, an older build's bug): a row that fails this is set
 * aside, never half-read.
 */
const storedJobSchema = z.looseObject({
  id: z.string(),
  provider: z.enum(PROVIDER_IDS),
  nativeId: z.string(),
  task: z.enum(TASK_IDS),
  status: z.enum(JOB_STATUSES),
  inputs: z.array(z.looseObject({ kind: z.string() })),
  options: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  resultState: z.enum(["none", "stored", "fetch_failed"]),
  pollCount: z.number(),
});

/** The columns of a job row every store keeps beside its JSON data, as selected. */
export const JOB_COLUMNS = "id, provider, task, status, owner, created_at, data";

/** The columns of a job row every store keeps beside its JSON data. */
export interface JobRow {
  id: string;
  provider: string;
  task: string;
  status: string;
  owner: string;
  created_at: string;
  data: string;
}

/** The row as a job, or why it cannot be used as one. */
export function damageOf(row: JobRow): { job: Job; damage?: undefined } | { job?: undefined; damage: string } {
  let value: unknown;
  try {
    value = JSON.parse(row.data);
  } catch {
    return { damage: "its stored data is not valid JSON" };
  }
  const parsed = storedJobSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { damage: `its stored data is not a job (${issue.path.length > 0 ? issue.path.join(".") : "record"}: ${issue.message})` };
  }
  if (parsed.data.id !== row.id) return { damage: "its stored data names another job" };
  return { job: parsed.data as unknown as Job };
}

/** What can still be said of a damaged row: its columns, which are kept apart from the data. */
export function damagedStandIn(row: JobRow, damage: string): Job {
  const [provider, ...rest] = row.id.split(":");
  const message = `job ${row.id} is damaged in the store (${damage}); it is set aside: its status and results cannot be read. The rest of the store is unaffected`;
  return {
    id: row.id,
    provider: (PROVIDER_IDS as readonly string[]).includes(row.provider) ? (row.provider as ProviderId) : (provider as ProviderId),
    nativeId: rest.join(":"),
    task: (TASK_IDS as readonly string[]).includes(row.task) ? (row.task as TaskId) : "acoustic",
    status: (JOB_STATUSES as readonly string[]).includes(row.status) ? (row.status as JobStatus) : "failed",
    inputs: [],
    options: {},
    createdAt: row.created_at,
    updatedAt: row.created_at,
    ...(row.owner ? { owner: row.owner } : {}),
    error: { code: "damaged_record", message },
    resultState: "none",
    pollCount: 0,
    damaged: damage,
  };
}

/**
 * Reads rows as jobs for one store: a damaged row becomes a stand-in that says so, reported to
 * `onDamagedJob` once per row in this process (the row is then set aside from polling).
 */
export function createJobRowReader(onDamagedJob?: (id: string, damage: string) => void): {
  readJob(row: JobRow): Job;
  reportDamage(row: JobRow, damage: string): void;
} {
  const reported = new Set<string>();
  const reportDamage = (row: JobRow, damage: string): void => {
    if (reported.has(row.id)) return;
    reported.add(row.id);
    onDamagedJob?.(row.id, damage);
  };
  return {
    reportDamage,
    readJob(row) {
      const read = damageOf(row);
      if (read.job) return read.job;
      reportDamage(row, read.damage);
      return damagedStandIn(row, read.damage);
    },
  };
}

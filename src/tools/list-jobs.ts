import { z } from "zod";
import { escapeForDisplay } from "../condense/format.js";
import { UserInputError } from "../errors.js";
import { JOB_STATUSES, PROVIDER_IDS, TASK_IDS, type ProviderId } from "../jobs/job.js";
import { InvalidCursorError } from "../store/job-rows.js";
import { defineTool, structuredResult } from "./define-tool.js";
import { describeProgress, jobSummarySchema, toJobSummary } from "./job-view.js";

function encodeRemoteCursor(cursors: Partial<Record<ProviderId, string>>): string | undefined {
  return Object.keys(cursors).length > 0 ? Buffer.from(JSON.stringify(cursors)).toString("base64url") : undefined;
}

function decodeRemoteCursor(cursor: string): Partial<Record<ProviderId, string>> {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Partial<Record<ProviderId, string>>;
  } catch {
    // fall through
  }
  throw new UserInputError("remote_cursor is not one this server issued; omit it to start from the newest vendor jobs");
}

function toIso(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new UserInputError(`${field} must be an ISO 8601 time such as 2026-11-01T00:00:00Z`);
  return new Date(parsed).toISOString();
}

export const listJobsTool = defineTool({
  name: "list_jobs",
  title: "List jobs",
  description:
    "Jobs newest first, by provider, status, task, creation time (ISO 8601); page with next_cursor. remote: true adds the vendors' own lists (pyannoteAI, Hume, Hamsa).",
  inputSchema: z
    .object({
      provider: z.enum(PROVIDER_IDS).optional(),
      status: z.enum(JOB_STATUSES).optional(),
      task: z.enum(TASK_IDS).optional(),
      limit: z.number().int().min(1).max(100).optional(),
      cursor: z.string().max(500).optional(),
      created_after: z.string().max(40).optional(),
      created_before: z.string().max(40).optional(),
      remote: z.boolean().optional(),
      remote_cursor: z.string().max(2_000).optional(),
    })
    .strict(),
  // Declared: what a program pages with; each job row carries the summary fields too.
  outputSchema: z.object({
    jobs: z.array(z.object({ job_id: z.string(), status: z.string() })),
    next_cursor: z.string().optional(),
  }),
  annotations: {
    title: "List jobs",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async handler(input, { app, session, extra }) {
    const limit = input.limit ?? 20;
    const createdAfter = toIso(input.created_after, "created_after");
    const createdBefore = toIso(input.created_before, "created_before");
    let remoteNext: string | undefined;
    const remoteErrors: string[] = [];
    if (input.remote && !app.jobs.mayAdopt(session.owner)) {
      // The vendor accounts are the operator's: their lists hold every user's jobs and jobs
      // started elsewhere, none of which a user of a shared server may take as theirs.
      throw new UserInputError("remote: true is not available on this shared server (the vendor accounts are the operator's); list_jobs without it shows your jobs");
    }
    if (input.remote) {
      const previous = input.remote_cursor ? decodeRemoteCursor(input.remote_cursor) : {};
      const nextCursors: Partial<Record<ProviderId, string>> = {};
      const adapters = app.providers
        .list()
        .filter((adapter) => adapter.list && adapter.describe().configured && (!input.provider || adapter.id === input.provider))
        // With a remote cursor, only providers that have more pages are asked again.
        .filter((adapter) => !input.remote_cursor || previous[adapter.id] !== undefined);
      await Promise.all(
        adapters.map(async (adapter) => {
          try {
            const page = await adapter.list!(
              { limit, cursor: previous[adapter.id], status: input.status, createdAfter, createdBefore },
              { signal: extra.signal },
            );
            for (const snapshot of page.items) await app.jobs.adopt(adapter, snapshot, session.owner);
            if (page.nextCursor) nextCursors[adapter.id] = page.nextCursor;
          } catch (error) {
            remoteErrors.push(`${adapter.id}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }),
      );
      remoteNext = encodeRemoteCursor(nextCursors);
    }
    let page;
    try {
      page = await app.store.listJobs({
        provider: input.provider,
        task: input.task,
        statuses: input.status ? [input.status] : undefined,
        owner: session.owner,
        createdAfter,
        createdBefore,
        cursor: input.cursor,
        limit,
      });
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new UserInputError("cursor is not one this server issued; omit it to start from the newest job");
      throw error;
    }
    const jobs = page.jobs.map(toJobSummary);
    const lines = jobs.map((job) => {
      if (job.damaged) return `${job.job_id} ${job.task} DAMAGED: ${job.damaged}; get_job cannot read it (the server log reported it)`;
      const progress = job.status === "running" ? describeProgress(job.progress) : undefined;
      return `${job.job_id} ${job.task} ${job.status}${progress ? ` ${progress}` : ""}${job.label ? ` "${escapeForDisplay(job.label)}"` : ""} created ${job.created_at}`;
    });
    if (lines.length === 0) lines.push("No jobs match. start_job creates one; remote: true pulls jobs started at the vendors.");
    if (page.nextCursor) lines.push(`More: call list_jobs again with cursor "${page.nextCursor}".`);
    if (remoteNext) lines.push(`More at the vendors: call list_jobs with remote: true and remote_cursor "${remoteNext}".`);
    for (const error of remoteErrors) lines.push(`Remote listing failed for ${error}`);
    return structuredResult(lines.join("\n"), {
      jobs,
      ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}),
      ...(remoteNext ? { remote_next_cursor: remoteNext } : {}),
      ...(remoteErrors.length > 0 ? { remote_errors: remoteErrors } : {}),
    });
  },
});

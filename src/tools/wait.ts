// Long-polling with MCP progress notifications when the client sent a progress token.

import type { Job } from "../jobs/job.js";
import { describeProgress } from "./job-view.js";
import type { ToolCall } from "./define-tool.js";

/**
 * What one progress notification says. A client draws progress/total as a bar, so both are
 * the job's own figures (done/total from the vendor or the local analyzer) and the message
 * repeats them. A job without a figure gets no made-up one: the notification counts the
 * seconds waited, says so, and carries no total (a client shows it as indeterminate).
 */
export function progressNotice(job: Job, waitedSeconds: number, waitSeconds: number): { progress: number; total?: number; message: string } {
  const figure = job.progress;
  if (figure && Number.isFinite(figure.done)) {
    const total = figure.total !== undefined && figure.total > 0 ? figure.total : undefined;
    return { progress: figure.done, ...(total !== undefined ? { total } : {}), message: `${job.id} ${job.status}: ${describeProgress(figure)}` };
  }
  return {
    progress: waitedSeconds,
    message: `${job.id} ${job.status}; no progress figure from the provider, waited ${waitedSeconds} s of ${waitSeconds} s`,
  };
}

export async function waitWithProgress(call: ToolCall, jobId: string, seconds: number): Promise<Job> {
  const { app, session, extra } = call;
  const progressToken = extra._meta?.progressToken;
  const startedAt = Date.now();
  let lastSent = -1;
  let sentFigure = false;
  const report = (job: Job) => {
    if (progressToken === undefined) return;
    const waited = Math.round((Date.now() - startedAt) / 100) / 10;
    const notice = progressNotice(job, waited, seconds);
    const isFigure = notice.total !== undefined || job.progress !== undefined;
    // Once the job's own figure has been sent, waited seconds would be another unit on the
    // same bar; and progress must increase on every notification (MCP spec).
    if (sentFigure && !isFigure) return;
    if (notice.progress <= lastSent) return;
    lastSent = notice.progress;
    sentFigure ||= isFigure;
    void extra
      .sendNotification({ method: "notifications/progress", params: { progressToken, ...notice } })
      .catch(() => undefined);
  };
  // A server shutting down answers its long-polls now rather than holding its stop for them.
  const signal = session.shutdown ? AbortSignal.any([extra.signal, session.shutdown]) : extra.signal;
  const job = await app.jobs.wait(jobId, seconds, { owner: session.owner, signal, onProgress: report });
  report(job);
  return job;
}

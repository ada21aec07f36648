// Long-polling with MCP progress notifications when the client sent a progress token.

import type { Job } from "../jobs/job.js";
import { describeProgress } from "./job-view.js";
import type { ToolCall } from "./define-tool.js";

export async function waitWithProgress(call: ToolCall, jobId: string, seconds: number): Promise<Job> {
  const { app, session, extra } = call;
  const progressToken = extra._meta?.progressToken;
  const startedAt = Date.now();
  let lastSent = -1;
  const report = (job: Job) => {
    if (progressToken === undefined) return;
    const elapsed = Math.round((Date.now() - startedAt) / 100) / 10;
    // Progress must increase on every notification (MCP spec), so it counts waited seconds.
    if (elapsed <= lastSent) return;
    lastSent = elapsed;
    const detail = describeProgress(job.progress);
    void extra
      .sendNotification({
        method: "notifications/progress",
        params: {
          progressToken,
          progress: elapsed,
          total: seconds,
          message: `${job.id} ${job.status}${detail ? `: ${detail}` : ""}`,
        },
      })
      .catch(() => undefined);
  };
  const job = await app.jobs.wait(jobId, seconds, { owner: session.owner, signal: extra.signal, onProgress: report });
  report(job);
  return job;
}

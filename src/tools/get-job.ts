import { z } from "zod";
import { isSettled } from "../jobs/job-service.js";
import { defineTool, structuredResult } from "./define-tool.js";
import { jobText, jobViewSchema, toJobView } from "./job-view.js";
import { MAX_WAIT_SECONDS } from "./start-job.js";
import { waitWithProgress } from "./wait.js";

/** A stored status younger than this is answered as is; older ones are checked with the vendor. */
const FRESH_ENOUGH_MS = 5_000;

export const getJobTool = defineTool({
  name: "get_job",
  title: "Get a job's status",
  description:
    `Returns a job's status, progress, timestamps and error. With wait_seconds (≤ ${MAX_WAIT_SECONDS}) it long-polls until the job ends or the time is up, sending progress notifications when your request carries a progress token — keep wait_seconds below your client's request timeout. ` +
    "When status is succeeded, call get_predictions. A job started elsewhere can be looked up by \"<provider>:<native id>\".",
  inputSchema: z
    .object({
      job_id: z.string().min(3).max(300).describe('Job id as returned by start_job, "<provider>:<native id>"'),
      wait_seconds: z.number().min(0).max(MAX_WAIT_SECONDS).optional().describe(`Wait up to this long (≤ ${MAX_WAIT_SECONDS}) for the job to end`),
    })
    .strict(),
  outputSchema: z.object({ job: jobViewSchema }),
  annotations: {
    title: "Get job",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async handler(input, call) {
    let job = await call.app.jobs.getFresh(input.job_id, call.session.owner, FRESH_ENOUGH_MS);
    if (input.wait_seconds && !isSettled(job)) job = await waitWithProgress(call, job.id, input.wait_seconds);
    const view = toJobView(job);
    return structuredResult(jobText(view), { job: view });
  },
});

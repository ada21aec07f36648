import { z } from "zod";
import { defineTool, structuredResult } from "./define-tool.js";
import { jobText, listedJobSchema, toJobView } from "./job-view.js";
import { MAX_WAIT_SECONDS } from "./start-job.js";
import { waitWithProgress } from "./wait.js";

/** A stored status younger than this is answered as is; older ones are checked with the vendor. */
const FRESH_ENOUGH_MS = 5_000;

export const getJobTool = defineTool({
  name: "get_job",
  title: "Get job",
  description:
    `Job status, progress, error; wait_seconds (≤ ${MAX_WAIT_SECONDS}, under your client's timeout) waits for the end (progress notified given a token). ` +
    'Then get_predictions. Jobs from elsewhere: "<provider>:<native id>".',
  inputSchema: z
    .object({
      job_id: z.string().min(3).max(300),
      wait_seconds: z.number().min(0).max(MAX_WAIT_SECONDS).optional(),
    })
    .strict(),
  outputSchema: z.object({ job: listedJobSchema }),
  annotations: {
    title: "Get job",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async handler(input, call) {
    // A wait looks at the vendor itself, within its deadline; a look before it could outlast it.
    const job = input.wait_seconds
      ? await waitWithProgress(call, input.job_id, input.wait_seconds)
      : await call.app.jobs.getFresh(input.job_id, call.session.owner, FRESH_ENOUGH_MS);
    const view = toJobView(job);
    return structuredResult(jobText(view), { job: view });
  },
});

import { z } from "zod";
import { defineTool, structuredResult } from "./define-tool.js";
import { jobText, jobViewSchema, toJobView } from "./job-view.js";

export const cancelJobTool = defineTool({
  name: "cancel_job",
  title: "Cancel a job",
  description:
    "Cancels a running job where the provider can (the local analyzer can; the vendors document no cancel endpoint, and this says so plainly). The job ends canceled and keeps no results.",
  inputSchema: z.object({ job_id: z.string().min(3).max(300) }).strict(),
  outputSchema: z.object({ job: jobViewSchema }),
  annotations: {
    title: "Cancel job",
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: true,
  },
  async handler(input, { app, session }) {
    const job = await app.jobs.cancel(input.job_id, session.owner);
    const view = toJobView(job);
    return structuredResult(jobText(view), { job: view });
  },
});

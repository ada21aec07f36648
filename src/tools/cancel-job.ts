import { z } from "zod";
import { defineTool, structuredResult } from "./define-tool.js";
import { jobText, listedJobSchema, toJobView } from "./job-view.js";

export const cancelJobTool = defineTool({
  name: "cancel_job",
  title: "Cancel job",
  description:
    "Cancels a running job if its provider can (local can; the vendors cannot, and this says so). It ends canceled, no results.",
  inputSchema: z.object({ job_id: z.string().min(3).max(300) }).strict(),
  outputSchema: z.object({ job: listedJobSchema }),
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

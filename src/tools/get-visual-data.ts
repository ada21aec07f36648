import { z } from "zod";
import { VISUAL_PAGE_BYTES, readVisualPage } from "../apps/visual-data.js";
import { UserInputError } from "../errors.js";
import { defineTool, structuredResult } from "./define-tool.js";

/**
 * App-only: the results view (ui://media-jobs/results.html) pages through what it draws with
 * this tool. Hosts keep it out of the model's tool list (`_meta.ui.visibility: ["app"]`), and
 * the server lists it only to clients that declare the MCP Apps extension.
 */
export const getVisualDataTool = defineTool({
  name: "get_visual_data",
  title: "Data for the results view",
  description: "For the results view only: a finished job's timeline rows as JSON pages.",
  inputSchema: z
    .object({
      job_id: z.string().min(3).max(300),
      cursor: z.string().max(40).optional(),
      start_s: z.number().min(0).optional(),
      end_s: z.number().min(0).optional(),
    })
    .strict(),
  annotations: {
    title: "Get visual data",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  maxResultSizeChars: VISUAL_PAGE_BYTES + 1024,
  async handler(input, { app, session }) {
    if (input.start_s !== undefined && input.end_s !== undefined && input.end_s <= input.start_s) {
      throw new UserInputError("end_s must be greater than start_s");
    }
    const job = await app.jobs.get(input.job_id, session.owner);
    const page = await readVisualPage(app, job, input);
    const rows = Object.values(page.tracks).reduce((total, rowsOfTrack) => total + rowsOfTrack.length, 0);
    // The view reads structuredContent; the text is a one-line receipt, not the data again.
    return structuredResult(
      `${page.kind} data for ${page.job_id}: rows ${page.offset}–${page.offset + rows} of ${page.rows_total}${page.next_cursor ? `; next_cursor ${page.next_cursor}` : ""}`,
      page as unknown as Record<string, unknown>,
    );
  },
});

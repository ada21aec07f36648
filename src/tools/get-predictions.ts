import { z } from "zod";
import { DEFAULT_MAX_TOKENS, MAX_MAX_TOKENS, MIN_MAX_TOKENS } from "../condense/render.js";
import { UserInputError } from "../errors.js";
import { defineTool } from "./define-tool.js";
import { refuseUnusedFilters, renderPredictions } from "./predictions.js";

export const getPredictionsTool = defineTool({
  name: "get_predictions",
  title: "Get predictions",
  description:
    `A finished job's results within max_tokens (default ${DEFAULT_MAX_TOKENS}, ≤ ${MAX_MAX_TOKENS}): summary, then time-ordered rows. ` +
    "Views, filters per task: list_providers. Page: next_cursor, same arguments.",
  inputSchema: z
    .object({
      job_id: z.string().min(3).max(300),
      view: z.string().max(40).optional(),
      file: z.string().max(2_000).optional().describe("Name or index"),
      model: z.string().max(40).optional(),
      speaker: z.string().max(200).optional(),
      start_s: z.number().min(0).optional(),
      end_s: z.number().min(0).optional(),
      top_k: z.number().int().min(1).max(20).optional(),
      query: z.string().min(1).max(200).optional().describe("Transcript search"),
      verdict: z.string().max(40).optional().describe("human|suspicious|failed"),
      origin: z.string().max(40).optional().describe("suno|udio|elevenlabs|human|unknown"),
      max_tokens: z.number().int().min(MIN_MAX_TOKENS).max(MAX_MAX_TOKENS).optional(),
      cursor: z.string().max(500).optional(),
    })
    .strict(),
  // Declared: what a program pages with. structuredContent also carries status, first_row,
  // needs_max_tokens and figures (provider-specific numbers: a free-form object is outside
  // Gemini's schema subset), undeclared to keep tools/list small.
  outputSchema: z.object({
    job_id: z.string(),
    rows_shown: z.number(),
    rows_total: z.number(),
    next_cursor: z.string().optional(),
    result_uri: z.string(),
  }),
  annotations: {
    title: "Get predictions",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  maxResultSizeChars: MAX_MAX_TOKENS * 4,
  async handler(input, { app, session }) {
    if (input.start_s !== undefined && input.end_s !== undefined && input.end_s <= input.start_s) {
      throw new UserInputError("end_s must be greater than start_s");
    }
    const job = await app.jobs.get(input.job_id, session.owner);
    refuseUnusedFilters(app, job, input);
    const result = await renderPredictions(
      app,
      job,
      {
        view: input.view,
        file: input.file,
        model: input.model,
        speaker: input.speaker,
        start_s: input.start_s,
        end_s: input.end_s,
        top_k: input.top_k ?? 5,
        query: input.query,
        verdict: input.verdict,
        origin: input.origin,
      },
      { maxTokens: input.max_tokens, cursor: input.cursor },
    );
    return result;
  },
});

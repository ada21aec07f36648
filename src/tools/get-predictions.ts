import { z } from "zod";
import { DEFAULT_MAX_TOKENS, MAX_MAX_TOKENS, MIN_MAX_TOKENS } from "../condense/render.js";
import { UserInputError } from "../errors.js";
import { defineTool } from "./define-tool.js";
import { refuseUnusedFilters, renderPredictions } from "./predictions.js";

export const getPredictionsTool = defineTool({
  name: "get_predictions",
  title: "Read a job's results, condensed",
  description:
    `Reads a finished job's results condensed to fit your context: what the job was, a computed summary first (talk-time shares, top expressions, verdict counts, loudness…), then time-ordered detail until max_tokens (default ${DEFAULT_MAX_TOKENS}, ≤ ${MAX_MAX_TOKENS}) is spent. ` +
    "Narrow with view, file, model, speaker, start_s/end_s, query (transcript search), verdict/origin (provenance) and top_k; continue with the returned next_cursor (same arguments). " +
    "Results are stored locally, so this never needs the vendor again. The full result is linked as a resource.",
  inputSchema: z
    .object({
      job_id: z.string().min(3).max(300),
      view: z.string().max(40).optional().describe("A view listed by list_providers for the task, e.g. summary, timeline, transcript"),
      file: z.string().max(2_000).optional().describe("Only this input file (name, URL or 0-based index)"),
      model: z.string().max(40).optional().describe("Hume model: face, prosody, burst, language, ner, facemesh"),
      speaker: z.string().max(200).optional().describe("Only this speaker (or face group)"),
      start_s: z.number().min(0).optional().describe("Window start, seconds"),
      end_s: z.number().min(0).optional().describe("Window end, seconds"),
      top_k: z.number().int().min(1).max(20).optional().describe("How many top items per list (default 5)"),
      query: z.string().min(1).max(200).optional().describe("Text to search in a transcript"),
      verdict: z.string().max(40).optional().describe("Provenance: human or suspicious (or failed)"),
      origin: z.string().max(40).optional().describe("Provenance origin: suno, udio, elevenlabs, human, unknown"),
      max_tokens: z.number().int().min(MIN_MAX_TOKENS).max(MAX_MAX_TOKENS).optional(),
      cursor: z.string().max(500).optional().describe("next_cursor from the previous answer"),
    })
    .strict(),
  outputSchema: z.object({
    job_id: z.string(),
    status: z.string(),
    rows_shown: z.number(),
    rows_total: z.number(),
    first_row: z.number(),
    next_cursor: z.string().optional().describe("Absent on the last page"),
    result_uri: z.string(),
    needs_max_tokens: z.number().optional(),
    // figures (provider-specific numbers) are in structuredContent too; undeclared, because
    // a free-form object is outside Gemini's schema subset.
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
    const result = renderPredictions(
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

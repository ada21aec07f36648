import { z } from "zod";
import { NotFoundError } from "../errors.js";
import { defineTool, structuredResult } from "./define-tool.js";

export const deleteVoiceprintTool = defineTool({
  name: "delete_voiceprint",
  title: "Delete voiceprint",
  description:
    'Deletes a stored pyannote voiceprint by label (labels: list_providers {provider:"pyannote"}, media-jobs://voiceprints).',
  inputSchema: z.object({ label: z.string().min(1).max(100) }).strict(),
  outputSchema: z.object({ deleted: z.string(), remaining: z.array(z.string()) }),
  annotations: {
    title: "Delete voiceprint",
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: false,
  },
  async handler(input, { app, session }) {
    if (!(await app.store.voiceprints.delete(input.label, session.owner))) {
      const known = (await app.store.voiceprints.list(session.owner)).map((entry) => entry.label);
      throw new NotFoundError(`no voiceprint labelled "${input.label}"; stored labels: ${known.length > 0 ? known.join(", ") : "none"}`);
    }
    const remaining = (await app.store.voiceprints.list(session.owner)).map((entry) => entry.label);
    return structuredResult(`Deleted voiceprint "${input.label}". Remaining: ${remaining.join(", ") || "none"}.`, {
      deleted: input.label,
      remaining,
    });
  },
});

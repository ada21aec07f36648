import { z } from "zod";
import { PROVIDER_IDS } from "../jobs/job.js";
import { defineTool, structuredResult } from "./define-tool.js";

/** "name: what it does (default)" → "name"; "voiceprints (required): …" → "voiceprints". */
function optionName(option: string): string | undefined {
  const colon = option.indexOf(":");
  if (colon < 0) return undefined;
  return option.slice(0, colon).replace(/\s*\(.*$/, "").trim();
}

const OVERVIEW_NOTICE_CHARS = 200;

/** "query (text search, Arabic-aware)" → "query". */
function filterName(filter: string): string {
  return filter.replace(/\s*\(.*$/, "").trim();
}

export const listProvidersTool = defineTool({
  name: "list_providers",
  title: "List providers",
  description:
    "Providers: tasks of configured ones (inputs, options, views, filters), the key to set for others. " +
    "Call first to choose start_job's provider, task, options; with provider: details, limits, notices.",
  inputSchema: z.object({ provider: z.enum(PROVIDER_IDS).optional() }).strict(),
  outputSchema: z.object({
    providers: z.array(z.object({ id: z.string(), configured: z.boolean() })),
  }),
  annotations: {
    title: "List providers",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async handler(input, { app, session }) {
    // Without a provider this is the overview a model reads before its first job, so it stays
    // small (≤ 600 tokens with every vendor configured): configured providers with every task's
    // inputs, option names, views and filters; the others one line with what to set. With a
    // provider: everything, option ranges and defaults, limits and notices included.
    const detailed = input.provider !== undefined;
    // Stored voiceprint labels are listed (pyannoteAI's notice): the caller's own only.
    const voiceprints = await app.store.voiceprints.list(session.owner);
    const infos = app.providers
      .list()
      .filter((adapter) => !input.provider || adapter.id === input.provider)
      .map((adapter) => adapter.describe({ owner: session.owner, voiceprints }));
    const lines: string[] = [];
    for (const info of infos) {
      if (!info.configured && !detailed) {
        lines.push(`${info.id} (${info.name}): not configured; ${info.setup ?? "its API key is missing"}`);
        continue;
      }
      lines.push(`${info.id} (${info.name}): ${info.configured ? "ready" : `not configured (${info.setup ?? "API key missing"})`}${detailed ? `. ${info.description}` : ""}`);
      for (const task of info.tasks) {
        if (detailed) {
          lines.push(`  task ${task.task}: ${task.description} Inputs: ${task.inputs.join(", ")}. Views: ${task.views.join(", ")}.`);
          if (task.options.length > 0) lines.push(`    options: ${task.options.join("; ")}`);
          if (task.filters.length > 0) lines.push(`    filters: ${task.filters.join(", ")}`);
          continue;
        }
        const options = task.options.map(optionName).filter((name): name is string => Boolean(name));
        lines.push(
          `  ${task.task}: inputs ${task.inputs.join(", ")}${options.length > 0 ? `; options ${options.join(", ")}` : ""}; views ${task.views.join(", ")}${task.filters.length > 0 ? `; filters ${task.filters.map(filterName).join(", ")}` : ""}`,
        );
      }
      if (detailed) {
        for (const limit of info.limits ?? []) lines.push(`  limit: ${limit}`);
        for (const notice of info.notices ?? []) lines.push(`  notice: ${notice}`);
        if (!info.canCancel) lines.push("  (jobs cannot be canceled once started)");
      } else {
        // Notices can change what a call does (a retired API, the stored voiceprint labels), so
        // the overview keeps them, each cut to a line.
        for (const notice of info.notices ?? []) lines.push(`  notice: ${notice.length > OVERVIEW_NOTICE_CHARS ? `${notice.slice(0, OVERVIEW_NOTICE_CHARS - 1)}…` : notice}`);
      }
    }
    if (!detailed) lines.push("Option ranges and defaults, limits and notices: list_providers with provider.");
    return structuredResult(lines.join("\n"), {
      providers: infos.map((info) => ({ id: info.id, configured: info.configured, tasks: info.tasks.map((task) => task.task) })),
    });
  },
});

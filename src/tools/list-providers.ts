import { z } from "zod";
import { PROVIDER_IDS } from "../jobs/job.js";
import { defineTool, structuredResult } from "./define-tool.js";

const taskSchema = z.object({
  task: z.string(),
  description: z.string(),
  inputs: z.array(z.string()),
  options: z.array(z.string()),
  views: z.array(z.string()),
  filters: z.array(z.string()),
});

export const listProvidersTool = defineTool({
  name: "list_providers",
  title: "List media-analysis providers",
  description:
    "Lists the providers this server can run jobs at (local offline analyzer, Hume, pyannoteAI, Hamsa, HumanStandard), their tasks, accepted inputs, options, result views and filters, and whether each is configured with an API key. Call it first to choose `provider`, `task` and `options` for start_job; pass provider to see one provider only (fewer tokens).",
  inputSchema: z
    .object({ provider: z.enum(PROVIDER_IDS).optional().describe("Only this provider's details") })
    .strict(),
  outputSchema: z.object({
    providers: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        description: z.string(),
        configured: z.boolean(),
        setup: z.string().optional(),
        can_cancel: z.boolean(),
        can_list_remote: z.boolean(),
        tasks: z.array(taskSchema),
        limits: z.array(z.string()).optional(),
        notices: z.array(z.string()).optional(),
      }),
    ),
  }),
  annotations: {
    title: "List providers",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async handler(input, { app }) {
    const adapters = app.providers.list().filter((adapter) => !input.provider || adapter.id === input.provider);
    const providers = adapters.map((adapter) => {
      const info = adapter.describe();
      return {
        id: info.id,
        name: info.name,
        description: info.description,
        configured: info.configured,
        ...(info.setup && !info.configured ? { setup: info.setup } : {}),
        can_cancel: info.canCancel,
        can_list_remote: info.canListRemote,
        tasks: info.tasks.map((task) => ({ ...task })),
        ...(info.limits ? { limits: info.limits } : {}),
        ...(info.notices ? { notices: info.notices } : {}),
      };
    });
    const lines: string[] = [];
    for (const provider of providers) {
      lines.push(
        `${provider.id} — ${provider.name}: ${provider.configured ? "ready" : `not configured (${provider.setup ?? "API key missing"})`}. ${provider.description}`,
      );
      for (const task of provider.tasks) {
        lines.push(`  task ${task.task}: ${task.description} Inputs: ${task.inputs.join(", ")}. Views: ${task.views.join(", ")}.`);
        if (task.options.length > 0) lines.push(`    options: ${task.options.join("; ")}`);
        if (task.filters.length > 0) lines.push(`    filters: ${task.filters.join(", ")}`);
      }
      for (const limit of provider.limits ?? []) lines.push(`  limit: ${limit}`);
      for (const notice of provider.notices ?? []) lines.push(`  notice: ${notice}`);
      if (!provider.can_cancel) lines.push("  (jobs cannot be canceled once started)");
    }
    return structuredResult(lines.join("\n"), { providers });
  },
});

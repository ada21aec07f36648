// The tool registry: keys equal tool names (a meta-test checks every entry).

import { cancelJobTool } from "./cancel-job.js";
import { createUploadTool } from "./create-upload.js";
import type { ToolDefinition } from "./define-tool.js";
import { deleteVoiceprintTool } from "./delete-voiceprint.js";
import { getJobTool } from "./get-job.js";
import { getPredictionsTool } from "./get-predictions.js";
import { listJobsTool } from "./list-jobs.js";
import { listProvidersTool } from "./list-providers.js";
import { startJobTool } from "./start-job.js";

export const TOOLS: Record<string, ToolDefinition> = {
  list_providers: listProvidersTool as unknown as ToolDefinition,
  start_job: startJobTool as unknown as ToolDefinition,
  get_job: getJobTool as unknown as ToolDefinition,
  list_jobs: listJobsTool as unknown as ToolDefinition,
  get_predictions: getPredictionsTool as unknown as ToolDefinition,
  cancel_job: cancelJobTool as unknown as ToolDefinition,
  delete_voiceprint: deleteVoiceprintTool as unknown as ToolDefinition,
  create_upload: createUploadTool as unknown as ToolDefinition,
};

/** The tools a session on this transport is offered (and may call). */
export function toolsFor(transport: "stdio" | "http"): Record<string, ToolDefinition> {
  return Object.fromEntries(Object.entries(TOOLS).filter(([, tool]) => !tool.transports || tool.transports.includes(transport)));
}

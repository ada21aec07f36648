// The MCP App (extension io.modelcontextprotocol/ui): one self-contained HTML view, built into
// dist/apps/results.html by scripts/build-app.mjs, that draws a job's results for people. Clients
// that declare the extension also get the app-only tool it pages data with; other clients see
// the same tools/list as before.

import fs from "node:fs";
import { fileURLToPath } from "node:url";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ToolDefinition } from "../tools/define-tool.js";
import { getVisualDataTool } from "../tools/get-visual-data.js";

export const RESULTS_VIEW_URI = "ui://media-jobs/results.html";
/**
 * The extension's id and the view's mime type, as @modelcontextprotocol/ext-apps/server exports
 * them (a test checks they match). The package is a build-time dependency only: it is bundled
 * into the view, and installing it at run time would pull its SDK 2.x peers for two strings.
 */
export const EXTENSION_ID = "io.modelcontextprotocol/ui";
export const RESOURCE_MIME_TYPE = "text/html;profile=mcp-app";

/** Tools only the view calls; never offered to the model. */
export const APP_TOOLS: Record<string, ToolDefinition> = {
  get_visual_data: getVisualDataTool as unknown as ToolDefinition,
};

/** `_meta` of a tool whose result the view draws. */
export const RESULTS_VIEW_TOOL_META = { ui: { resourceUri: RESULTS_VIEW_URI } };
/** `_meta` of an app-only tool: hosts keep it out of the model's list. */
export const APP_ONLY_TOOL_META = { ui: { resourceUri: RESULTS_VIEW_URI, visibility: ["app"] } };

/** Whether the connected client declared the MCP Apps extension with our mime type. */
export function clientRendersApps(capabilities: { extensions?: Record<string, unknown> } | undefined): boolean {
  const ui = capabilities?.extensions?.[EXTENSION_ID] as { mimeTypes?: unknown } | undefined;
  if (!ui) return false;
  return !Array.isArray(ui.mimeTypes) || ui.mimeTypes.includes(RESOURCE_MIME_TYPE);
}

let cachedHtml: string | undefined;
/** dist/apps/results.html next to this module once built; from src (tests) the built copy. */
export function resultsViewHtml(): string {
  if (cachedHtml !== undefined) return cachedHtml;
  const candidates = [new URL("./results.html", import.meta.url), new URL("../../dist/apps/results.html", import.meta.url)];
  for (const candidate of candidates) {
    const file = fileURLToPath(candidate);
    if (fs.existsSync(file)) return (cachedHtml = fs.readFileSync(file, "utf8"));
  }
  throw new Error("the results view is not built (dist/apps/results.html); run npm run build");
}

export function registerResultsView(server: McpServer): void {
  server.registerResource(
    "results-view",
    RESULTS_VIEW_URI,
    {
      title: "Results view",
      description: "Interactive view of a job's results (MCP App): speaker lanes, loudness and pitch contours.",
      mimeType: RESOURCE_MIME_TYPE,
    },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: RESOURCE_MIME_TYPE,
          text: resultsViewHtml(),
          // Self-contained: no network origins, so the host's deny-by-default CSP stands as is.
          _meta: { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } },
        },
      ],
    }),
  );
}

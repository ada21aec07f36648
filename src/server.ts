// buildServer: registers tools, resources and prompts for one MCP session, and is the one
// error boundary that turns thrown errors into `isError` results that say how to fix the call.

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  LoggingLevelSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  RootsListChangedNotificationSchema,
  type CallToolResult,
  type LoggingLevel,
} from "@modelcontextprotocol/sdk/types.js";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { AppContext, SessionContext } from "./context.js";
import { escapeForDisplay, escapeStringsForDisplay } from "./condense/format.js";
import { MediaJobsError, UserInputError } from "./errors.js";
import type { JobUpdate } from "./jobs/job-service.js";
import { visibleTo } from "./jobs/job.js";
import { registerPrompts } from "./prompts/index.js";
import { APP_ONLY_TOOL_META, APP_TOOLS, clientRendersApps, registerResultsView, RESULTS_VIEW_TOOL_META } from "./apps/results-view.js";
import { registerResources } from "./resources/index.js";
import { jobUri, resultUri } from "./resources/uris.js";
import { describeInputIssues, type ToolDefinition } from "./tools/define-tool.js";
import { toolsFor } from "./tools/index.js";

export const SERVER_NAME = "media-jobs-mcp";

/** MCP log levels, least severe first. */
const LOG_SEVERITY: readonly LoggingLevel[] = LoggingLevelSchema.options;

export interface SessionOptions {
  transport: "stdio" | "http";
  owner?: string;
  /** Aborted when the HTTP server begins a graceful stop: long-polls answer at once. */
  shutdown?: AbortSignal;
  /** Milliseconds since this process started (tests pass their own clock). */
  uptimeMs?: () => number;
}

/** Within this long of the process starting, a stdio server/discover probe is still fresh. */
const PROBE_ANSWER_WINDOW_MS = 700;

const DiscoverRequestSchema = z.object({ method: z.literal("server/discover"), params: z.optional(z.record(z.string(), z.unknown())) });

const SERVER_INSTRUCTIONS =
  "Runs media-analysis jobs (speaker diarization, expression/emotion measurement, transcription, AI-music provenance, offline acoustics) and returns results condensed to fit your context. " +
  "Typical flow: list_providers → start_job → get_job with wait_seconds until succeeded → get_predictions (summary first; page with cursor, narrow with start_s/end_s, speaker, file, view). " +
  "The local provider needs no key and never uploads anything.";

export function buildServer(app: AppContext, options: SessionOptions): { server: McpServer; close(): void } {
  const server = new McpServer(
    { name: SERVER_NAME, title: "Media Jobs", version: app.version },
    {
      capabilities: {
        tools: { listChanged: false },
        resources: { subscribe: true, listChanged: true },
        logging: {},
        completions: {},
        prompts: { listChanged: false },
      },
      instructions: SERVER_INSTRUCTIONS,
    },
  );

  let clientRoots: string[] | undefined;
  const session: SessionContext = {
    owner: options.owner,
    transport: options.transport,
    shutdown: options.shutdown,
    async allowedDirs() {
      // A team server's (OAuth) disk is no user's: every user could read what the allowed
      // directories hold, uploads of others waiting there included. Files come by create_upload.
      if (options.owner !== undefined && app.config.oauth !== undefined) {
        throw new UserInputError("a team server takes no local paths (its disk is not yours): upload the file with create_upload and give {upload: upload_id}");
      }
      const dirs = [...app.config.allowedDirs];
      // The client's roots widen what the user allowed, over stdio only: in HTTP mode several
      // people may share the server, and a client must not grant itself the server's disk.
      if (options.transport === "stdio" && server.server.getClientCapabilities()?.roots) {
        if (!clientRoots) {
          try {
            const listed = await server.server.listRoots(undefined, { timeout: 5_000 });
            clientRoots = listed.roots
              .filter((root) => root.uri.startsWith("file://"))
              .map((root) => fileURLToPath(root.uri));
          } catch {
            clientRoots = [];
          }
        }
        dirs.push(...clientRoots);
      }
      return dirs;
    },
  };

  server.server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
    clientRoots = undefined;
  });

  if (options.transport === "stdio") answerDiscoverProbes(server, options.uptimeMs ?? (() => performance.now()));
  registerTools(server, app, session);
  // Notifications the client did not ask for are not sent: some clients (the AI SDK's MCP
  // client) report every unexpected notification as an error. resources/list_changed waits
  // until the client has listed resources; log messages wait for logging/setLevel.
  let resourcesListed = false;
  registerResources(server, app, session, () => {
    resourcesListed = true;
  });
  registerResultsView(server);
  let logLevel: LoggingLevel | undefined;
  server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    logLevel = request.params.level;
    return {};
  });
  const wantsLog = (level: LoggingLevel) =>
    logLevel !== undefined && LOG_SEVERITY.indexOf(level) >= LOG_SEVERITY.indexOf(logLevel);
  registerPrompts(server);

  // Subscriptions: resources/updated when a subscribed job's status or results change.
  const subscriptions = new Set<string>();
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  const onUpdate = ({ job, previousStatus }: JobUpdate) => {
    // Another user's job sends nothing at all: no list change, no update, no log message.
    if (!visibleTo(job, options.owner)) return;
    if (!server.isConnected()) return;
    // A new job, or a job's newly stored result, is a new entry in resources/list.
    if (resourcesListed && (previousStatus === undefined || (job.resultState === "stored" && previousStatus !== undefined))) {
      server.sendResourceListChanged();
    }
    for (const uri of [jobUri(job.id), resultUri(job.id)]) {
      if (subscriptions.has(uri)) void server.server.sendResourceUpdated({ uri }).catch(() => undefined);
    }
    const level: LoggingLevel = job.status === "failed" ? "warning" : "info";
    if ((previousStatus !== job.status || job.resultState === "stored") && wantsLog(level)) {
      const message =
        previousStatus === undefined
          ? `job ${job.id} created (${job.task}, ${job.status})`
          : previousStatus !== job.status
            ? `job ${job.id} ${previousStatus} → ${job.status}`
            : `job ${job.id} results stored`;
      void server.server
        .sendLoggingMessage({ level, logger: "jobs", data: { message, job_id: job.id, status: job.status } })
        .catch(() => undefined);
    }
  };
  app.jobs.events.on("updated", onUpdate);
  return {
    server,
    close: () => {
      app.jobs.events.off("updated", onUpdate);
    },
  };
}

/**
 * Clients of the stateless 2026-07-28 revision probe a stdio server with server/discover and
 * fall back to initialize on Method not found — or on no answer within their timeout (the AI
 * SDK waits 1 s). The probe is sent right after the client spawns us, so its age is at most our
 * uptime: while that is short we answer at once; later, loading took longer than the client
 * waits, and an answer would reach it after it gave up — a response to a request it forgot,
 * which it reports as an error. The 2026-07-28 stdio rules let an initialize-era server leave
 * the probe unanswered, so a late probe gets no answer.
 */
function answerDiscoverProbes(server: McpServer, uptimeMs: () => number): void {
  server.server.setRequestHandler(DiscoverRequestSchema as never, () => {
    if (uptimeMs() > PROBE_ANSWER_WINDOW_MS) return new Promise<never>(() => undefined);
    throw new McpError(ErrorCode.MethodNotFound, "Method not found: server/discover; this server speaks the initialize-based MCP revisions, send initialize");
  });
}

function registerTools(server: McpServer, app: AppContext, session: SessionContext): void {
  const describe = (tool: ToolDefinition, ui?: Record<string, unknown>) => ({
    name: tool.name,
    // No title: each only restated the name ("Get job" for get_job), and tools/list has a
    // budget (≤ 1,500 tokens with every schema).
    description: tool.description,
    inputSchema: toJsonSchema(tool.inputSchema, "input", session.transport),
    ...(tool.outputSchema ? { outputSchema: toJsonSchema(tool.outputSchema, "output", session.transport) } : {}),
    // The tool's title is listed once (annotations.title would repeat it).
    annotations: { ...tool.annotations, title: undefined },
    ...(tool.maxResultSizeChars || ui ? { _meta: { ...(tool.maxResultSizeChars ? { "anthropic/maxResultSizeChars": tool.maxResultSizeChars } : {}), ...ui } } : {}),
  });
  const tools = toolsFor(session.transport);
  const listed = Object.values(tools).map((tool) => describe(tool));
  // Clients that render MCP Apps also learn which result opens the view, and get the app-only tool.
  const listedWithApps = [
    ...Object.values(tools).map((tool) => describe(tool, tool.name === "get_predictions" ? RESULTS_VIEW_TOOL_META : undefined)),
    ...Object.values(APP_TOOLS).map((tool) => describe(tool, APP_ONLY_TOOL_META)),
  ];
  const rendersApps = () => clientRendersApps(server.server.getClientCapabilities());
  server.server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: rendersApps() ? listedWithApps : listed }));
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const tool: ToolDefinition | undefined = (Object.hasOwn(tools, name) ? tools[name] : undefined) ?? (rendersApps() && Object.hasOwn(APP_TOOLS, name) ? APP_TOOLS[name] : undefined);
    if (!tool) {
      return errorResult(`Unknown tool "${name}". Tools: ${Object.keys(tools).join(", ")}.`);
    }
    const parsed = tool.inputSchema.safeParse(request.params.arguments ?? {});
    if (!parsed.success) return errorResult(describeInputIssues(tool.name, parsed.error));
    try {
      return displaySafe(await tool.handler(parsed.data, { app, session, extra }));
    } catch (error) {
      if (error instanceof MediaJobsError) return errorResult(error.message);
      app.logger.error(`tool ${tool.name} failed unexpectedly`, {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      return errorResult(`${tool.name} failed because of an internal error; the server log has details. Try again, or report it if it persists.`);
    }
  });
}

function errorResult(message: string): CallToolResult {
  return displaySafe({ content: [{ type: "text", text: message }], isError: true });
}

/**
 * The one point every tool result passes: control and bidi characters from labels, file names,
 * URLs and vendor strings are shown escaped, never raw (the text keeps its own line breaks).
 */
function displaySafe(result: CallToolResult): CallToolResult {
  return {
    ...result,
    content: result.content.map((item) => (item.type === "text" ? { ...item, text: escapeForDisplay(item.text, { keepNewlines: true }) } : escapeStringsForDisplay(item))),
    ...(result.structuredContent ? { structuredContent: escapeStringsForDisplay(result.structuredContent) } : {}),
  };
}

function toJsonSchema(schema: z.ZodObject, io: "input" | "output", transport: "stdio" | "http"): { type: "object"; [key: string]: unknown } {
  const json = portable(z.toJSONSchema(schema, { io, unrepresentable: "any" }), io, transport) as Record<string, unknown>;
  return { ...json, type: "object" };
}

/** Keywords the listed schemas leave out. Gemini's function declarations refuse
 * additionalProperties and $schema, OpenAI's subset has no minLength/maxLength, and zod's
 * ±2^53 bounds on integers say nothing; the server still enforces all of them at the edge
 * (unknown fields and over-long strings are refused with a message that says how to fix
 * the call). Everything else must already be in every vendor's subset — a test walks them.
 * `transports` is our own mark (zod `.meta`) on a field offered on some transports only. */
const UNLISTED_KEYWORDS = new Set(["$schema", "additionalProperties", "minLength", "maxLength", "transports"]);

/** Whether a schema node is listed on this transport (a field marked `.meta({ transports })`). */
function listedOn(node: unknown, transport: "stdio" | "http"): boolean {
  const transports = (node as { transports?: unknown } | null)?.transports;
  return !Array.isArray(transports) || transports.includes(transport);
}

function portable(node: unknown, io: "input" | "output", transport: "stdio" | "http"): unknown {
  if (Array.isArray(node)) return node.map((item) => portable(item, io, transport));
  if (!node || typeof node !== "object") return node;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (UNLISTED_KEYWORDS.has(key)) continue;
    // Output schemas describe what we send; "required" there only costs listing tokens.
    if (io === "output" && key === "required") continue;
    if ((key === "minimum" || key === "maximum") && Math.abs(value as number) >= Number.MAX_SAFE_INTEGER) continue;
    if (key === "properties") {
      const listed = Object.entries(value as object).filter(([, child]) => listedOn(child, transport));
      result[key] = Object.fromEntries(listed.map(([name, child]) => [name, portable(child, io, transport)]));
    } else result[key] = portable(value, io, transport);
  }
  return result;
}

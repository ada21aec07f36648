// The shape of one tool. One file per tool under src/tools/ exports a ToolDefinition; the
// registry in tools/index.ts lists them; server.ts is the one error boundary.

import type { CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { z } from "zod";
import type { AppContext, SessionContext } from "../context.js";

export interface ToolAnnotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolCall {
  app: AppContext;
  session: SessionContext;
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  /** When to use it and what to call next. */
  description: string;
  inputSchema: Input;
  outputSchema?: z.ZodObject;
  annotations: ToolAnnotations;
  /** Transports it is offered on; every one when absent (create_upload is for HTTP only). */
  transports?: ReadonlyArray<"stdio" | "http">;
  /** Largest result the tool can return, in characters (for `_meta["anthropic/maxResultSizeChars"]`). */
  maxResultSizeChars?: number;
  handler(input: z.output<Input>, call: ToolCall): Promise<CallToolResult>;
}

export function defineTool<Input extends z.ZodObject>(definition: ToolDefinition<Input>): ToolDefinition<Input> {
  return definition;
}

/** A result with both a compact text for the model and structured content for programs. */
export function structuredResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured };
}

/** Turns zod issues into one message that says how to fix the call. */
export function describeInputIssues(toolName: string, error: z.ZodError): string {
  const lines = error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("").replace(/^\./, "") : "arguments";
    let message = issue.message;
    if (issue.code === "unrecognized_keys") message = `unknown field(s) ${issue.keys.join(", ")}`;
    return `${where}: ${message}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : "";
  return `Invalid arguments for ${toolName}: ${lines.join("; ")}${more}. Fix these and call ${toolName} again.`;
}

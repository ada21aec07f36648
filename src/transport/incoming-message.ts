// The protocol edge: every message a client sends passes here before the SDK sees it. The SDK
// drops what its schema refuses without a word, so a malformed request would wait for an
// answer forever; here every request with a recoverable id gets a JSON-RPC error instead
// (-32700 unparseable, -32600 not a valid request, -32602 bad params; unknown methods reach
// the SDK, which answers -32601), and nothing deep or huge reaches code that recurses.

import {
  ClientRequestSchema,
  ErrorCode,
  JSONRPCMessageSchema,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";

/** The largest message we read: a line on stdio, a body over HTTP. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * What to do instead of a message over the limit: every big input has a by-reference form.
 * (A HumanStandard start_job with 10,000 tracks inline is about 11.5 MB.)
 */
export const LARGE_INPUT_ADVICE =
  "send large inputs by reference: local media as {path}, remote media as {url}, and a HumanStandard catalog of thousands of tracks as a local NDJSON file (one {item_id, url} per line) given as its only {path} item, or beyond 10,000 tracks as options.manifest_url";

/** Deeper than this is no tool's input; JSON.stringify and friends recurse and would overflow. */
export const MAX_NESTING_DEPTH = 64;

export type Checked =
  | { kind: "message"; message: JSONRPCMessage }
  /** Refused: the errors to answer (none for a malformed notification or response). */
  | { kind: "refused"; replies: JSONRPCErrorResponse[]; reason: string };

type ErrorReply = JSONRPCErrorResponse & { id: RequestId | null };

const BYTE_ORDER_MARK = "\uFEFF";

/** Request schemas by method, for the methods a client may send. */
const REQUEST_SCHEMAS = new Map(
  ClientRequestSchema.options.map((schema) => [[...schema.shape.method.values][0] as string, schema] as const),
);

export function errorReply(id: RequestId | null, code: number, message: string): JSONRPCErrorResponse {
  // JSON-RPC answers an unidentifiable request with id null; the SDK's type has no null.
  const reply: ErrorReply = { jsonrpc: "2.0", id: id as RequestId, error: { code, message } };
  return reply;
}

/** One stdio line (or HTTP body) as text. A leading byte-order mark is ignored (RFC 8259 §8.1). */
export function checkIncomingText(text: string): Checked {
  const trimmed = text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return refuse(null, ErrorCode.ParseError, "Parse error: the message is not valid JSON", "unparseable");
  }
  return checkIncomingValue(value);
}

/** A parsed message. Batches are refused (MCP sends one message at a time since 2025-06-18). */
export function checkIncomingValue(value: unknown): Checked {
  if (Array.isArray(value)) {
    const ids = value.map(recoverId).filter((id): id is RequestId => id !== null);
    const message = "Invalid Request: JSON-RPC batches are not supported; send one message per line";
    const replies = ids.length > 0 ? ids.map((id) => errorReply(id, ErrorCode.InvalidRequest, message)) : [errorReply(null, ErrorCode.InvalidRequest, message)];
    return { kind: "refused", replies, reason: "batch" };
  }
  if (!isPlainObject(value)) return refuse(null, ErrorCode.InvalidRequest, "Invalid Request: a message must be a JSON object", "not an object");

  const id = recoverId(value);
  const hasId = "id" in value;
  const isResponse = "result" in value || "error" in value;
  // Answers to our own requests (roots/list): the SDK matches them; a broken one is dropped,
  // since a response must never be answered.
  const answerable = !isResponse && (hasId || typeof value.method !== "string");
  const refuseRequest = (code: number, message: string): Checked =>
    answerable ? refuse(id, code, message, message) : { kind: "refused", replies: [], reason: message };

  if (exceedsDepth(value, MAX_NESTING_DEPTH)) {
    return refuseRequest(ErrorCode.InvalidParams, `Invalid params: the message nests deeper than ${MAX_NESTING_DEPTH} levels`);
  }
  if (value.jsonrpc !== "2.0") return refuseRequest(ErrorCode.InvalidRequest, 'Invalid Request: "jsonrpc" must be "2.0"');
  if (hasId && id === null) return refuseRequest(ErrorCode.InvalidRequest, 'Invalid Request: "id" must be a string or an integer');
  if (!isResponse) {
    if (typeof value.method !== "string") return refuseRequest(ErrorCode.InvalidRequest, 'Invalid Request: "method" must be a string');
    if ("params" in value && !isPlainObject(value.params)) return refuseRequest(ErrorCode.InvalidParams, 'Invalid params: "params" must be an object');
    const meta = isPlainObject(value.params) ? value.params._meta : undefined;
    if (meta !== undefined) {
      if (!isPlainObject(meta)) return refuseRequest(ErrorCode.InvalidParams, 'Invalid params: "params._meta" must be an object');
      if ("progressToken" in meta && !isRequestId(meta.progressToken)) {
        return refuseRequest(ErrorCode.InvalidParams, "Invalid params: params._meta.progressToken must be a string or an integer");
      }
    }
    const schema = hasId ? REQUEST_SCHEMAS.get(value.method) : undefined;
    if (schema) {
      const parsed = schema.safeParse({ method: value.method, params: value.params });
      if (!parsed.success) return refuseRequest(ErrorCode.InvalidParams, `Invalid params for ${value.method}: ${describeIssue(parsed.error.issues[0])}`);
    }
  }
  const envelope = JSONRPCMessageSchema.safeParse(value);
  if (!envelope.success) {
    return refuseRequest(ErrorCode.InvalidRequest, `Invalid Request: ${describeIssue(envelope.error.issues[0])}`);
  }
  return { kind: "message", message: envelope.data };
}

/**
 * The id of a message we will not parse whole (a line over the size limit), from its first
 * bytes: a top-level "id" member before the cut. Null when there is none to find.
 */
export function recoverIdFromPrefix(prefix: string): RequestId | null {
  let depth = 0;
  let index = prefix.startsWith(BYTE_ORDER_MARK) ? 1 : 0;
  let expectKey = false;
  while (index < prefix.length) {
    const char = prefix[index]!;
    if (char === '"') {
      const end = endOfString(prefix, index);
      if (end < 0) return null;
      if (depth === 1 && expectKey) {
        const key = safeJson(prefix.slice(index, end + 1));
        const afterColon = /^\s*:\s*/.exec(prefix.slice(end + 1, end + 64));
        if (key === "id" && afterColon) {
          const valueStart = end + 1 + afterColon[0].length;
          if (prefix[valueStart] === '"') {
            const valueEnd = endOfString(prefix, valueStart);
            if (valueEnd < 0) return null;
            const parsed = safeJson(prefix.slice(valueStart, valueEnd + 1));
            return typeof parsed === "string" ? parsed : null;
          }
          const number = /^-?\d+(?=\s*[,}])/.exec(prefix.slice(valueStart, valueStart + 32));
          return number && Number.isSafeInteger(Number(number[0])) ? Number(number[0]) : null;
        }
      }
      expectKey = false;
      index = end + 1;
      continue;
    }
    if (char === "{" || char === "[") {
      depth++;
      expectKey = char === "{" && depth === 1;
    } else if (char === "}" || char === "]") depth--;
    else if (char === "," && depth === 1) expectKey = true;
    index++;
  }
  return null;
}

function endOfString(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index++) {
    if (text[index] === "\\") index++;
    else if (text[index] === '"') return index;
  }
  return -1;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function refuse(id: RequestId | null, code: number, message: string, reason: string): Checked {
  return { kind: "refused", replies: [errorReply(id, code, message)], reason };
}

function recoverId(value: unknown): RequestId | null {
  return isPlainObject(value) && isRequestId(value.id) ? value.id : null;
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" || (typeof value === "number" && Number.isSafeInteger(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Iterative, so a 100,000-deep value cannot overflow the stack while we measure it. */
function exceedsDepth(root: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

function describeIssue(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (!issue) return "malformed";
  const where = issue.path.length > 0 ? issue.path.map(String).join(".") : "message";
  return `${where}: ${issue.message}`;
}

// Streamable HTTP at /mcp (one server instance per session) and the vendors' webhooks.
// Bound to 127.0.0.1 by default; Host and Origin validated against DNS rebinding; a bearer
// token or, for a team, OAuth access tokens from its identity provider guard /mcp; one of the
// two is required to bind anything but loopback.

import { randomUUID, timingSafeEqual, createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest, LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import type { App } from "./app.js";
import { ConfigError } from "./config.js";
import { ForbiddenError, MediaJobsError, UserInputError } from "./errors.js";
import { parseJobId } from "./jobs/job.js";
import { OAuthResourceServer, READ_SCOPE, WRITE_SCOPE, type OAuthOptions } from "./auth/oauth-resource-server.js";
import { buildServer } from "./server.js";
import { formatMegabytes, overQuota } from "./uploads/upload-service.js";
import { TOOLS } from "./tools/index.js";
import { checkIncomingText, errorReply, LARGE_INPUT_ADVICE, MAX_MESSAGE_BYTES } from "./transport/incoming-message.js";

/** For an adapter that states no limit of its own (its webhookIntake). */
const DEFAULT_WEBHOOK_BODY_BYTES = 1024 * 1024;
/** Webhook bodies being read at once, across vendors: bounds the memory a flood can take. */
const MAX_WEBHOOK_BODIES_READING = 8;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host);
}

interface Session {
  transport: StreamableHTTPServerTransport;
  /** Whose session (the token's principal; one for all without a token), for the per-principal cap. */
  principal: string;
  close(): void;
  lastSeen: number;
  /** Who initialized it: a session answers only to the principal that created it. */
  owner: string | undefined;
  /** Open GET streams (server-to-client notifications): a listening session is not idle. */
  openStreams: number;
}

/** Sessions a client abandoned without DELETE are closed after this long without a request. */
const SESSION_IDLE_MS = 30 * 60_000;

/** How much of a refused upload's body is read (and dropped) so the client sees the answer, not a reset. */
const UPLOAD_REFUSAL_DRAIN_BYTES = 8 * 1024 * 1024;
/** How long a readiness check waits for the store before answering 503. */
const READY_STORE_TIMEOUT_MS = 2_000;

export interface RunningHttpServer {
  url: string;
  /**
   * Graceful stop, first half: /ready answers 503, the listener closes (new connections are
   * refused; a request on a kept-alive one gets 503), long-polls end early with the job as it
   * stands, and in-flight requests get up to `graceMs` to finish. Resolves with how many were
   * still running when the time ran out. `close()` does the rest.
   */
  drain(graceMs: number): Promise<number>;
  close(): Promise<void>;
}

export async function startHttpServer(
  app: App,
  options: { sessionIdleMs?: number; sweepEveryMs?: number; oauth?: OAuthOptions } = {},
): Promise<RunningHttpServer> {
  const sessionIdleMs = options.sessionIdleMs ?? SESSION_IDLE_MS;
  const { maxSessions, maxSessionsPerPrincipal } = app.config.http;
  const { host, port, token } = app.config.http;
  const resourceServer = app.config.oauth ? new OAuthResourceServer(app.config.oauth, options.oauth) : undefined;
  if (!isLoopbackHost(host) && !token && !resourceServer) {
    throw new ConfigError(
      `refusing to listen on ${host} without authentication: set MEDIA_JOBS_HTTP_TOKEN (one person) or MEDIA_JOBS_OAUTH_ISSUER (a team), or bind 127.0.0.1 (the default)`,
    );
  }
  const sessions = new Map<string, Session>();
  let webhookBodiesReading = 0;
  // Shutdown: set once, seen by every request that arrives afterwards and by every long-poll.
  const shutdown = new AbortController();
  // Requests whose answers a graceful stop waits for. A session's GET stream is not one: it
  // lasts as long as the session and is closed with it.
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const server = http.createServer((request, response) => {
    if (!(request.method === "GET" && request.url?.startsWith("/mcp"))) {
      inFlight++;
      response.once("close", () => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
    }
    handle(request, response).catch((error: unknown) => {
      app.logger.error("HTTP request failed", { error: error instanceof Error ? error.message : String(error) });
      if (!response.headersSent) sendJson(response, 500, { error: "internal error" });
      else response.end();
    });
  });

  // Computed once listening: after a graceful stop begins the listener is closed (no address),
  // and requests still arriving on open connections are checked all the same.
  let hostHeaders: Set<string> | undefined;
  const allowedHostHeaders = (): Set<string> => (hostHeaders ??= computeHostHeaders());
  const computeHostHeaders = (): Set<string> => {
    const address = server.address() as AddressInfo;
    const names = new Set<string>();
    for (const name of ["127.0.0.1", "localhost", "[::1]", host.includes(":") ? `[${host}]` : host]) {
      names.add(`${name}:${address.port}`.toLowerCase());
      if (address.port === 80) names.add(name.toLowerCase());
    }
    if (app.config.publicUrl) names.add(new URL(app.config.publicUrl).host.toLowerCase());
    return names;
  };

  const originAllowed = (origin: string): boolean => {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false;
    }
    if (app.config.publicUrl && parsed.origin === new URL(app.config.publicUrl).origin) return true;
    return isLoopbackHost(parsed.hostname.replace(/^\[|\]$/g, "")) || parsed.hostname === "[::1]";
  };

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://local");
    // Node keeps the first of several Host headers; which one a proxy in front honours is
    // anyone's guess, so a request with more than one is refused outright.
    if (countHeader(request.rawHeaders, "host") > 1) return sendJson(response, 400, jsonRpcError("Bad Request: more than one Host header"));
    // DNS rebinding: a page on another site must not reach us through a name that resolves to
    // loopback. Only checked when we listen on loopback; a public bind relies on the token.
    if (isLoopbackHost(host)) {
      const hostHeader = (request.headers.host ?? "").toLowerCase();
      if (!allowedHostHeaders().has(hostHeader)) return sendJson(response, 403, jsonRpcError("Forbidden: invalid Host header"));
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(origin)) return sendJson(response, 403, jsonRpcError("Forbidden: invalid Origin header"));

    // Liveness: the process answers. No auth, no store: a slow database must not get it killed.
    if (url.pathname === "/health") return sendJson(response, 200, { ok: true, version: app.version });
    if (shutdown.signal.aborted) {
      // Arrived after the stop began (on a kept-alive connection): the load balancer sends it elsewhere.
      response.setHeader("Connection", "close");
      response.setHeader("Retry-After", "1");
      if (url.pathname === "/ready") return sendJson(response, 503, { ready: false, reason: "shutting down" });
      return sendJson(response, 503, jsonRpcError("Service Unavailable: this server is shutting down; retry (another replica answers)"));
    }
    if (url.pathname === "/ready") return answerReadiness(response);
    if (url.pathname.startsWith("/webhooks/")) return handleWebhook(url.pathname.slice("/webhooks/".length), request, response);
    // The upload URL is its own credential (its secret, from create_upload): no bearer token.
    if (url.pathname.startsWith("/uploads/")) return handleUpload(url.pathname.slice("/uploads/".length), request, response);
    if (url.pathname === "/.well-known/oauth-protected-resource" || url.pathname === "/.well-known/oauth-protected-resource/mcp") {
      if (!resourceServer) return sendJson(response, 404, { error: "not found; this server does not use OAuth (MEDIA_JOBS_OAUTH_ISSUER is not set)" });
      return sendJson(response, 200, resourceServer.metadata());
    }
    if (url.pathname !== "/mcp") return sendJson(response, 404, { error: "not found; the MCP endpoint is /mcp" });

    // The principal owns what this request creates and sees: the token's subject under OAuth,
    // the static token's fingerprint, or nobody (loopback without a token: one person).
    let owner: string | undefined;
    let scopes: Set<string> | undefined;
    if (resourceServer) {
      const authentication = await resourceServer.authenticate(request.headers.authorization);
      if (!authentication.ok) {
        if (authentication.status === 401) response.setHeader("WWW-Authenticate", authentication.challenge);
        return sendJson(response, authentication.status, jsonRpcError(authentication.message));
      }
      if (!authentication.user.scopes.has(READ_SCOPE)) {
        response.setHeader("WWW-Authenticate", resourceServer.insufficientScopeChallenge(authentication.user, READ_SCOPE));
        return sendJson(response, 403, jsonRpcError(`Forbidden: insufficient_scope; this server needs the ${READ_SCOPE} scope`));
      }
      owner = authentication.user.principal;
      scopes = authentication.user.scopes;
    } else if (token) {
      if (!bearerMatches(request.headers.authorization, token)) {
        response.setHeader("WWW-Authenticate", 'Bearer realm="media-jobs-mcp"');
        return sendJson(response, 401, jsonRpcError("Unauthorized: send Authorization: Bearer <MEDIA_JOBS_HTTP_TOKEN>"));
      }
      owner = principalOf(token);
    }

    const sessionId = headerValue(request.headers["mcp-session-id"]);
    if (request.method === "POST") {
      const body = await readLimitedBody(request, response, MAX_MESSAGE_BYTES, (limit) =>
        errorReply(null, -32600, `Invalid Request: the message is larger than the ${limit} limit; ${LARGE_INPUT_ADVICE}`),
      );
      if (!body) return;
      const checked = checkIncomingText(body.toString("utf8"));
      if (checked.kind === "refused") {
        const replies = checked.replies.length > 0 ? checked.replies : [errorReply(null, -32600, `Invalid Request: ${checked.reason}`)];
        return sendJson(response, 400, replies.length === 1 ? replies[0] : replies);
      }
      const parsed = checked.message;
      // Scope challenge (MCP authorization, "Scope Challenge Handling"): a call of a tool that
      // changes state needs the write scope, refused at the HTTP level so the client can step up.
      const writeTool = writeToolCalled(parsed);
      if (resourceServer && scopes && writeTool && !scopes.has(WRITE_SCOPE)) {
        response.setHeader("WWW-Authenticate", resourceServer.insufficientScopeChallenge({ principal: owner!, scopes }, WRITE_SCOPE));
        const id = (parsed as { id?: unknown }).id ?? null;
        return sendJson(response, 403, {
          jsonrpc: "2.0",
          id,
          error: { code: -32000, message: `Forbidden: insufficient_scope; ${writeTool} changes state and needs the ${WRITE_SCOPE} scope` },
        });
      }
      if (sessionId) {
        const session = sessions.get(sessionId);
        if (!session || session.owner !== owner) return sendJson(response, 404, jsonRpcError("Session not found; initialize a new session"));
        session.lastSeen = Date.now();
        return session.transport.handleRequest(request, response, parsed);
      }
      if (!isInitializeRequest(parsed)) {
        // Clients of the stateless 2026-07-28 revision probe with server/discover. We speak the
        // initialize-based revisions, so we answer as such a server: 400 whose body is not a
        // modern protocol error (-32020…-32022) but Method not found, the one answer every
        // dual-era client reads as "fall back to initialize".
        const probe = parsed as { method?: unknown; id?: unknown } | null;
        if (probe?.method === "server/discover") {
          return sendJson(response, 400, {
            jsonrpc: "2.0",
            id: probe.id ?? null,
            error: { code: -32601, message: `Method not found: server/discover. This server speaks MCP ${LATEST_PROTOCOL_VERSION} and earlier; send initialize` },
          });
        }
        return sendJson(response, 400, jsonRpcError("Bad Request: no valid session ID; send initialize first"));
      }
      // The principal (a token's or an OAuth subject's; one for all without either) is capped too.
      const principal = owner ?? "anonymous";
      if (!makeRoomForSession(principal)) {
        response.setHeader("Retry-After", "60");
        return sendJson(response, 503, jsonRpcError(`Too many open sessions (at most ${maxSessions}, ${maxSessionsPerPrincipal} per client, none idle to close); close one (DELETE /mcp) or try later`));
      }
      const built = buildServer(app, { transport: "http", owner, shutdown: shutdown.signal });
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, principal, close: built.close, lastSeen: Date.now(), openStreams: 0, owner });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        built.close();
      };
      await built.server.connect(transport);
      return transport.handleRequest(request, response, parsed);
    }
    if (request.method === "GET" || request.method === "DELETE") {
      // A GET without a session asks for a stream we do not offer outside a session: 405 is the
      // spec's "no SSE stream here", which clients skip quietly (a 400 surfaces as an error in
      // clients that open the stream before initializing).
      if (!sessionId && request.method === "GET") {
        response.setHeader("Allow", "POST");
        return sendJson(response, 405, jsonRpcError("No stream without a session: POST initialize first, then GET with its Mcp-Session-Id"));
      }
      const found = sessionId ? sessions.get(sessionId) : undefined;
      const session = found?.owner === owner ? found : undefined;
      if (!session) return sendJson(response, sessionId ? 404 : 400, jsonRpcError("Missing or unknown Mcp-Session-Id"));
      session.lastSeen = Date.now();
      if (request.method === "GET") {
        session.openStreams++;
        response.once("close", () => {
          session.openStreams--;
          session.lastSeen = Date.now();
        });
      }
      return session.transport.handleRequest(request, response);
    }
    response.setHeader("Allow", "GET, POST, DELETE");
    return sendJson(response, 405, jsonRpcError("Method not allowed"));
  }

  /** Readiness: the store answers a round trip within its time, and no stop has begun. */
  async function answerReadiness(response: http.ServerResponse): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        app.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${READY_STORE_TIMEOUT_MS} ms`)), READY_STORE_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      app.logger.warning("readiness check: the job store does not answer", { error: error instanceof Error ? error.message : String(error) });
      return sendJson(response, 503, { ready: false, reason: "job store unreachable" });
    } finally {
      clearTimeout(timer);
    }
    if (shutdown.signal.aborted) return sendJson(response, 503, { ready: false, reason: "shutting down" });
    return sendJson(response, 200, { ready: true });
  }

  /** The one PUT of a create_upload URL, streamed into the job store chunk by chunk. */
  async function handleUpload(rest: string, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const [id = "", secret = "", ...extra] = rest.split("/");
    if (extra.length > 0 || !id || !secret) return sendJson(response, 404, { error: "no such upload URL; create_upload gives a new one" });
    if (request.method !== "PUT") {
      response.setHeader("Allow", "PUT");
      return sendJson(response, 405, { error: "an upload URL takes one PUT of the file's bytes" });
    }
    const declared = request.headers["content-length"] === undefined ? undefined : Number(request.headers["content-length"]);
    const opened = await app.uploads.beginReceive(id, secret, Number.isFinite(declared) ? declared : undefined, headerValue(request.headers["content-type"]));
    if ("status" in opened) return refuseUpload(request, response, opened.status, opened.message);
    // Read by events, one chunk at a time (paused while it is stored): an async iterator would
    // destroy the socket when left early, and the client must still read a 413.
    const outcome = await new Promise<"end" | "too-large" | "over-quota" | "gone" | "cut" | Error>((resolve) => {
      let stopped = false;
      const stop = (result: "end" | "too-large" | "over-quota" | "gone" | "cut" | Error) => {
        if (stopped) return;
        stopped = true;
        resolve(result);
      };
      request.on("data", (chunk: Buffer) => {
        if (stopped) return;
        request.pause();
        opened.write(chunk).then(
          (written) => (written === "ok" ? request.resume() : stop(written)),
          (error: unknown) => stop(error instanceof Error ? error : new Error(String(error))),
        );
      });
      request.once("end", () => stop("end"));
      request.once("close", () => stop(request.complete ? "end" : "cut"));
      request.once("error", () => stop("cut"));
    });
    if (outcome === "end") {
      try {
        const finished = await opened.finish();
        if (finished === "over-quota") return sendJson(response, 413, { error: overQuota(opened.quotaBytes).message });
        return sendJson(response, 200, { ok: true, bytes: finished.bytes, expires_at: new Date(finished.expiresAt).toISOString() });
      } catch (error) {
        await opened.abort().catch(() => undefined);
        throw error;
      }
    }
    if (outcome === "too-large") {
      return refuseUpload(request, response, 413, `the file is larger than this upload's limit of ${formatMegabytes(opened.maxBytes)} (MEDIA_JOBS_MAX_UPLOAD_MB); nothing was kept`);
    }
    if (outcome === "over-quota") return refuseUpload(request, response, 413, overQuota(opened.quotaBytes).message);
    if (outcome === "gone") return refuseUpload(request, response, 410, "this upload expired while its file was arriving; create_upload gives a new one");
    // Cut off mid-way, or the store failed: nothing half-stored stays, and the URL may be used again.
    await opened.abort().catch(() => undefined);
    if (outcome instanceof Error) throw outcome;
  }

  /**
   * Refuses an upload at once, then reads and drops a bounded amount of the rest so that a
   * client still sending can read the answer; past that the connection is cut.
   */
  function refuseUpload(request: http.IncomingMessage, response: http.ServerResponse, status: number, message: string): void {
    sendJson(response, status, { error: message });
    let drained = 0;
    request.on("data", (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > UPLOAD_REFUSAL_DRAIN_BYTES) request.destroy();
    });
    request.resume();
  }

  async function handleWebhook(providerId: string, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (request.method !== "POST") return sendJson(response, 405, { error: "webhooks are POST" });
    const adapter = app.providers.find(providerId);
    if (!adapter?.handleWebhook) return sendJson(response, 404, { error: `no webhook for ${providerId}` });
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = headerValue(value);
    const refuse = (error: ForbiddenError) => {
      app.logger.warning(`rejected ${providerId} webhook: ${error.message}`);
      sendJson(response, 401, { error: error.message });
    };
    // The headers first: a delivery they already show to be forged is refused unread.
    try {
      adapter.webhookIntake?.checkHeaders?.(headers);
    } catch (error) {
      if (error instanceof ForbiddenError) return refuse(error);
      throw error;
    }
    // Bodies in memory at once are bounded: a flood waits its turn (503 + Retry-After).
    if (webhookBodiesReading >= MAX_WEBHOOK_BODIES_READING) {
      response.setHeader("Retry-After", "5");
      return sendJson(response, 503, { error: "busy with other webhook deliveries; retry shortly" });
    }
    webhookBodiesReading++;
    let rawBody: Buffer | undefined;
    try {
      rawBody = await readLimitedBody(request, response, adapter.webhookIntake?.maxBodyBytes ?? DEFAULT_WEBHOOK_BODY_BYTES, (limit) => ({
        error: `body larger than the ${limit} limit for ${providerId} webhooks`,
      }));
    } finally {
      webhookBodiesReading--;
    }
    if (!rawBody) return;
    let event;
    try {
      event = await adapter.handleWebhook({ headers, rawBody });
    } catch (error) {
      if (error instanceof ForbiddenError) return refuse(error);
      if (error instanceof UserInputError || error instanceof MediaJobsError) return sendJson(response, 400, { error: error.message });
      throw error;
    }
    // Answer at once (vendors give us seconds); the job update runs on.
    sendJson(response, 200, { ok: true });
    const known = parseJobId(`${providerId}:${event.nativeId}`);
    if (!known) return;
    app.jobs.applyWebhook(known.provider, event.nativeId, event.snapshot).catch((error: unknown) => {
      app.logger.warning(`webhook update of ${providerId}:${event.nativeId} failed`, {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  const closeSession = (id: string, session: Session) => {
    sessions.delete(id);
    session.close();
    void session.transport.close().catch(() => undefined);
  };

  /**
   * Keeps sessions within both caps before a new one opens, closing the least recently used
   * idle ones (no open stream) first. False when the caps are full of sessions in use.
   */
  const makeRoomForSession = (principal: string): boolean => {
    const oldestIdle = (ofPrincipal: boolean): [string, Session] | undefined => {
      let oldest: [string, Session] | undefined;
      for (const entry of sessions) {
        const session = entry[1];
        if (session.openStreams > 0 || (ofPrincipal && session.principal !== principal)) continue;
        if (!oldest || session.lastSeen < oldest[1].lastSeen) oldest = entry;
      }
      return oldest;
    };
    const countOf = () => [...sessions.values()].filter((session) => session.principal === principal).length;
    while (countOf() >= maxSessionsPerPrincipal) {
      const victim = oldestIdle(true);
      if (!victim) return false;
      closeSession(...victim);
    }
    while (sessions.size >= maxSessions) {
      const victim = oldestIdle(false);
      if (!victim) return false;
      closeSession(...victim);
    }
    return true;
  };

  const sweeper = setInterval(() => {
    const cutoff = Date.now() - sessionIdleMs;
    for (const [id, session] of sessions) {
      if (session.lastSeen >= cutoff || session.openStreams > 0) continue;
      closeSession(id, session);
    }
  }, options.sweepEveryMs ?? 60_000);
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  hostHeaders = computeHostHeaders();
  const printableHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${printableHost}:${address.port}/mcp`,
    async drain(graceMs: number) {
      if (!shutdown.signal.aborted) {
        shutdown.abort();
        // Stops accepting; Node also closes kept-alive connections that have no request running.
        server.close();
      }
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          drained = resolve;
          timer = setTimeout(resolve, graceMs);
        });
        clearTimeout(timer);
      }
      return inFlight;
    },
    async close() {
      shutdown.abort();
      clearInterval(sweeper);
      for (const session of sessions.values()) {
        session.close();
        await session.transport.close().catch(() => undefined);
      }
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}

/** The name of the tool a tools/call message calls when that tool is not read-only (its annotations say). */
function writeToolCalled(message: unknown): string | undefined {
  const call = message as { method?: unknown; params?: { name?: unknown } } | null;
  if (call?.method !== "tools/call" || typeof call.params?.name !== "string") return undefined;
  const tool = Object.hasOwn(TOOLS, call.params.name) ? TOOLS[call.params.name] : undefined;
  return tool && !tool.annotations.readOnlyHint ? tool.name : undefined;
}

export function principalOf(token: string): string {
  return "token:" + createHash("sha256").update(token).digest("hex").slice(0, 12);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!match) return false;
  const given = createHash("sha256").update(match[1]!.trim()).digest();
  const expected = createHash("sha256").update(token).digest();
  return timingSafeEqual(given, expected);
}

function countHeader(rawHeaders: string[], name: string): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) if (rawHeaders[index]!.toLowerCase() === name) count++;
  return count;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function jsonRpcError(message: string): unknown {
  return { jsonrpc: "2.0", error: { code: -32000, message }, id: null };
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  response.end(payload);
}

/**
 * The body, or undefined once a 413 naming the limit has been sent: refused from the declared
 * Content-Length before reading anything, else as soon as the count passes the limit. The
 * rest of an oversized body is discarded unread (Node drains it) and the connection closed,
 * so the client reads a 413 rather than a reset.
 */
async function readLimitedBody(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  maxBytes: number,
  refusal: (limit: string) => unknown,
): Promise<Buffer | undefined> {
  const limit = maxBytes >= 1024 * 1024 ? `${Math.round((maxBytes / (1024 * 1024)) * 10) / 10} MiB` : `${Math.round(maxBytes / 1024)} KiB`;
  const tooLarge = () => {
    // Unread bytes are drained and dropped (request.resume) so the client can read the answer.
    request.resume();
    sendJson(response, 413, refusal(limit));
    return undefined;
  };
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge();
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      request.off("data", onData);
      request.off("end", onEnd);
      chunks.length = 0;
      resolve(tooLarge());
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    request.on("data", onData);
    request.once("end", onEnd);
    request.once("error", reject);
  });
}

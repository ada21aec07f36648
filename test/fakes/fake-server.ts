// A loopback HTTP server toolkit for vendor fakes: routes, recorded requests, faults on demand.
// Unhandled requests answer 599 and are remembered, so `assertAllHandled()` fails the test.

import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON when it was JSON, else undefined. */
  json?: unknown;
  /** Epoch ms when the request (its whole body) had arrived. */
  receivedAt: number;
  /** Arrival order across every FakeServer of this process (several ports of one fake). */
  sequence: number;
  /** Epoch ms when the answer was sent, and its status; unset while it is in flight or when the socket was dropped. */
  answeredAt?: number;
  status?: number;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
}

export type RouteHandler = (request: RecordedRequest, params: Record<string, string>) => FakeReply | Promise<FakeReply>;

/** A fault the next matching request(s) get instead of the normal answer. */
export type Fault =
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: "malformed-json" }
  | { kind: "slow-headers"; delayMs: number }
  | { kind: "slow-body"; delayMs: number }
  | { kind: "truncated-body" }
  | { kind: "reset" }
  /** Handled as usual (a create call creates its job at once) but answered only after `delayMs`. */
  | { kind: "delay"; delayMs: number };

let arrivals = 0;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
}

interface PendingFault {
  method?: string;
  pathPrefix?: string;
  remaining: number;
  fault: Fault;
}

export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  readonly unhandled: RecordedRequest[] = [];
  private readonly routes: Route[] = [];
  private readonly faults: PendingFault[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<import("node:net").Socket>();
  baseUrl = "";

  constructor() {
    this.server = http.createServer((request, response) => void this.handle(request, response));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  /** `pattern` like "/v1/jobs/:id"; params are URL-decoded. */
  route(method: string, pattern: string, handler: RouteHandler): this {
    const keys: string[] = [];
    const source = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, (_, key: string) => {
      keys.push(key);
      return "([^/]+)";
    });
    this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  /** The next `times` requests matching method/path prefix get `fault` instead. */
  injectFault(fault: Fault, match: { method?: string; pathPrefix?: string; times?: number } = {}): this {
    this.faults.push({ method: match.method?.toUpperCase(), pathPrefix: match.pathPrefix, remaining: match.times ?? 1, fault });
    return this;
  }

  requestsTo(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method.toUpperCase() && request.path.startsWith(pathPrefix));
  }

  assertAllHandled(): void {
    if (this.unhandled.length > 0) {
      const list = this.unhandled.map((request) => `${request.method} ${request.path}`).join(", ");
      throw new Error(`fake server got unhandled requests: ${list}`);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(incoming: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(incoming.url ?? "/", "http://fake");
    const recorded: RecordedRequest = {
      method: (incoming.method ?? "GET").toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body,
      receivedAt: Date.now(),
      sequence: ++arrivals,
    };
    if (String(incoming.headers["content-type"] ?? "").includes("json") && body.length > 0) {
      try {
        recorded.json = JSON.parse(body.toString("utf8"));
      } catch {
        recorded.json = undefined;
      }
    }
    this.requests.push(recorded);

    const fault = this.takeFault(recorded);
    if (fault && fault.kind !== "delay") return this.applyFault(fault, response, recorded);
    const delayMs = fault?.kind === "delay" ? fault.delayMs : 0;

    for (const route of this.routes) {
      if (route.method !== recorded.method) continue;
      const match = route.pattern.exec(recorded.path);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, position) => (params[key] = decodeURIComponent(match[position + 1]!)));
      try {
        const reply = await route.handler(recorded, params);
        if (delayMs > 0) await sleep(delayMs);
        if (response.destroyed) return;
        return this.send(response, reply, recorded);
      } catch (error) {
        return this.send(response, { status: 500, body: { message: `fake handler threw: ${String(error)}` } }, recorded);
      }
    }
    this.unhandled.push(recorded);
    this.send(response, { status: 599, body: { message: `unhandled ${recorded.method} ${recorded.path}` } }, recorded);
  }

  private takeFault(request: RecordedRequest): Fault | undefined {
    const index = this.faults.findIndex(
      (pending) =>
        (!pending.method || pending.method === request.method) &&
        (!pending.pathPrefix || request.path.startsWith(pending.pathPrefix)),
    );
    if (index < 0) return undefined;
    const pending = this.faults[index]!;
    pending.remaining -= 1;
    if (pending.remaining <= 0) this.faults.splice(index, 1);
    return pending.fault;
  }

  private async applyFault(fault: Fault, response: http.ServerResponse, recorded: RecordedRequest): Promise<void> {
    switch (fault.kind) {
      case "status":
        return this.send(response, { status: fault.status, headers: fault.headers, body: fault.body ?? { message: "injected fault" } }, recorded);
      case "malformed-json":
        response.writeHead(200, { "content-type": "application/json" });
        response.end('{"jobId": "abc", "status": ');
        return;
      case "slow-headers":
        await sleep(fault.delayMs);
        if (!response.destroyed) this.send(response, { status: 503, body: { message: "slow" } });
        return;
      case "slow-body":
        response.writeHead(200, { "content-type": "application/json" });
        response.write('{"status":');
        await sleep(fault.delayMs);
        if (!response.destroyed) response.end('"running"}');
        return;
      case "truncated-body":
        response.writeHead(200, { "content-type": "application/json", "content-length": "200" });
        response.write('{"status":"running","jobId":');
        response.socket?.destroy();
        return;
      case "reset":
        response.socket?.destroy();
        return;
      case "delay":
        return;
    }
  }

  private send(response: http.ServerResponse, reply: FakeReply, recorded?: RecordedRequest): void {
    const status = reply.status ?? 200;
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    let payload: Buffer | string = "";
    if (reply.body === undefined) payload = "";
    else if (typeof reply.body === "string" || Buffer.isBuffer(reply.body)) payload = reply.body;
    else {
      payload = JSON.stringify(reply.body);
      headers["content-type"] ??= "application/json";
    }
    response.writeHead(status, headers);
    response.end(payload);
    if (recorded) {
      recorded.answeredAt = Date.now();
      recorded.status = status;
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

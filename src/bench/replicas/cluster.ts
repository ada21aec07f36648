// The moving parts of the replicas bench, each a real process or a real HTTP server: the
// pyannoteAI fake (one account on one port per replica, so every vendor request says which
// replica sent it), a loopback identity provider (two users with JWTs), a round-robin load
// balancer for what may land on any replica (webhooks), and the server replicas themselves
// (built dist/cli.js in HTTP mode), which the bench kills and restarts.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = path.join(ROOT, "dist/cli.js");
const FAKE_MAIN = path.join(ROOT, "test/fakes/pyannote-fake-main.ts");

/** A free loopback port now (a replica keeps its port across restarts). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface FakeLogEntry {
  server: number;
  sequence: number;
  method: string;
  path: string;
  mediaUrl?: string;
  receivedAt: number;
  answeredAt?: number;
  status?: number;
}

export interface FakeLog {
  requests: FakeLogEntry[];
  jobs: Array<{ jobId: string; url: string; createdAtMs: number; status: string }>;
  webhooks: Array<{ url: string; jobId: string; status: string; httpStatus?: number }>;
  rateLimit: { enforced?: number; refused: number; peakPerMinute: number; peakAt?: number };
}

export interface RunningFake {
  baseUrls: string[];
  apiKey: string;
  webhookSecret: string;
  log(): Promise<FakeLog>;
  stop(): Promise<void>;
}

/** The pyannoteAI fake in its own process (it is TypeScript under test/, run by Node's type stripping). */
export async function startFake(options: { ports: number; doneAfterMs: number; requestsPerMinute: number }): Promise<RunningFake> {
  const webhookSecret = "bench-webhook-secret-0123456789";
  const child = spawn(process.execPath, [FAKE_MAIN], {
    env: {
      ...process.env,
      PYANNOTE_FAKE_MIRRORS: String(options.ports - 1),
      PYANNOTE_FAKE_DONE_AFTER_MS: String(options.doneAfterMs),
      PYANNOTE_FAKE_REQUESTS_PER_MINUTE: String(options.requestsPerMinute),
      PYANNOTE_FAKE_WEBHOOK_SECRET: webhookSecret,
      PYANNOTE_FAKE_SEGMENTS: "40",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, "line")) as [string];
  const started = JSON.parse(line) as { baseUrls: string[]; apiKey: string; controlUrl: string };
  return {
    baseUrls: started.baseUrls,
    apiKey: started.apiKey,
    webhookSecret,
    async log() {
      const response = await fetch(`${started.controlUrl}/log`);
      return (await response.json()) as FakeLog;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** A loopback identity provider: RFC 8414 metadata and a JWKS; signs access tokens for any user. */
export async function startIdentityProvider(): Promise<{ issuer: string; token(subject: string, audience: string): Promise<string>; stop(): Promise<void> }> {
  const pair = await generateKeyPair("ES256", { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: "bench-1", alg: "ES256", use: "sig" };
  let issuer = "";
  const server = http.createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.url === "/.well-known/oauth-authorization-server") {
      return send(200, { issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token`, authorization_endpoint: `${issuer}/authorize` });
    }
    if (request.url === "/jwks") return send(200, { keys: [publicJwk] });
    send(404, { error: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    issuer,
    token(subject, audience) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ scope: "media-jobs:read media-jobs:write" })
        .setProtectedHeader({ alg: "ES256", kid: "bench-1", typ: "at+jwt" })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt(now)
        .setExpirationTime(now + 3_600)
        .sign(pair.privateKey);
    },
    stop() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What sits in front of the replicas for everything that may land anywhere (here: the vendor's
 * webhooks): each request goes to the next live replica, round robin. Which replica took each
 * request is counted.
 */
export async function startLoadBalancer(targets: () => Array<{ index: number; port: number } | undefined>): Promise<{ url: string; routed: number[]; stop(): Promise<void> }> {
  const routed: number[] = [];
  let next = 0;
  const server = http.createServer((request, response) => {
    const live = targets().filter((target): target is { index: number; port: number } => target !== undefined);
    if (live.length === 0) {
      response.writeHead(503).end();
      return;
    }
    const target = live[next++ % live.length]!;
    routed[target.index] = (routed[target.index] ?? 0) + 1;
    const upstream = http.request(
      { host: "127.0.0.1", port: target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    routed,
    stop() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** One replica: a server process on a fixed port, killed and restarted by the bench. */
export class Replica {
  child: ChildProcess | undefined;
  /** Every pid this replica has had (its lease holder names contain it). */
  readonly pids: number[] = [];
  /** When it was killed (SIGKILL), epoch ms. */
  readonly kills: number[] = [];
  private readonly stderrTail: string[] = [];
  readonly dataDir: string;

  constructor(
    readonly index: number,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `mjm-replica-${index}-`));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/mcp`;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once it listens (it prints {"listening": url} on stderr). */
  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, [CLI, "--http", "--port", String(this.port)], {
      env: { PATH: process.env.PATH ?? "", MEDIA_JOBS_DATA_DIR: this.dataDir, ...this.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    this.pids.push(child.pid!);
    const lines = createInterface({ input: child.stderr! });
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replica ${this.index} did not listen within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`replica ${this.index} exited (${code ?? signal}) before listening:\n${this.tail()}`));
      });
      lines.on("line", (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 40) this.stderrTail.shift();
        if (line.startsWith('{"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await listening;
  }

  /** SIGKILL: no shutdown, leases and sessions left as they are. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    this.kills.push(Date.now());
    child.kill("SIGKILL");
    await once(child, "exit");
  }

  /** SIGTERM: the server's own shutdown (releases its leases). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  }

  tail(): string {
    return this.stderrTail.join("\n");
  }

  removeDataDir(): void {
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** An MCP client of one user on one replica. */
export async function connectClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: "replicas-bench", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

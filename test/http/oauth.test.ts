// HTTP mode as an OAuth 2.1 resource server: a loopback identity provider (issuer metadata and
// JWKS, keys made here with jose) and the real HTTP server; every refusal is checked by status
// and WWW-Authenticate challenge, and two users' jobs stay apart.

import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { assembleApp, type App } from "../../src/app.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startHttpServer, type RunningHttpServer } from "../../src/http-server.js";
import { createLogger } from "../../src/logger.js";
import { FakeIdentityProvider, newSigningKey, signAccessToken, type SigningKey } from "../support/fake-identity-provider.js";
import { ScriptedAdapter } from "../support/scripted-adapter.js";

const AUDIENCE = "https://media.example.com/mcp";
const BOTH = "media-jobs:read media-jobs:write";

let app: App | undefined;
let server: RunningHttpServer | undefined;
let idp: FakeIdentityProvider | undefined;
const clients: Client[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  await server?.close();
  await app?.close();
  await idp?.close();
  server = app = idp = undefined;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(flags: { host?: string } = {}): Promise<{ url: string; idp: FakeIdentityProvider; key: SigningKey }> {
  idp = await new FakeIdentityProvider().start();
  const key = await newSigningKey("key-1");
  idp.published = [key];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-oauth-"));
  dirs.push(dataDir);
  const config = loadConfig(
    { MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_OAUTH_ISSUER: idp.issuer, MEDIA_JOBS_PUBLIC_URL: "https://media.example.com", MEDIA_JOBS_POLL_INITIAL_MS: "20" },
    { http: true, port: 0, host: flags.host },
  );
  app = await assembleApp(config, () => [new ScriptedAdapter({ id: "local" })], { logger: createLogger({ level: "error", secrets: [], write: () => undefined }) });
  server = await startHttpServer(app, { oauth: { jwksCooldownMs: 0 } });
  return { url: server.url, idp, key };
}

function token(key: SigningKey, claims: { sub?: string; scope?: string; aud?: string; iss?: string; exp?: number; nbf?: number } = {}): Promise<string> {
  return signAccessToken(key, { ...claims, iss: claims.iss ?? idp!.issuer, aud: claims.aud ?? AUDIENCE, scope: claims.scope ?? BOTH });
}

function b64url(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

function raw(url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method,
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      },
    );
    request.on("error", reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

const METADATA_URL = "https://media.example.com/.well-known/oauth-protected-resource/mcp";

async function connect(url: string, bearer: string): Promise<Client> {
  const client = new Client({ name: "oauth-test", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
  clients.push(client);
  return client;
}

function textOf(result: unknown): string {
  return ((result as { content: Array<{ text: string }> }).content[0]!).text;
}

function jobIdOf(result: unknown): string {
  return (result as { structuredContent: { job: { job_id: string } } }).structuredContent.job.job_id;
}

const startLocal = { provider: "local", task: "diarize", media: [{ url: "https://example.com/meeting.mp3" }] };

describe("OAuth resource server", () => {
  it("serves an initialize and tool calls to a valid token end to end", async () => {
    const { url, key } = await start();
    const client = await connect(url, await token(key));
    const providers = await client.callTool({ name: "list_providers", arguments: {} });
    expect(providers.isError ?? false).toBe(false);
    const started = await client.callTool({ name: "start_job", arguments: startLocal });
    expect(started.isError ?? false, textOf(started)).toBe(false);
    const jobId = jobIdOf(started);
    expect(jobId).toMatch(/^local:/);
    const fetched = await client.callTool({ name: "get_job", arguments: { job_id: jobId } });
    expect(fetched.isError ?? false, textOf(fetched)).toBe(false);
  });

  it("publishes RFC 9728 metadata naming the audience, the issuer and the scopes, at both well-known paths", async () => {
    const { url, idp } = await start();
    for (const wellKnown of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const answer = await raw(new URL(wellKnown, url).href, "GET", {});
      expect(answer.status, wellKnown).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({
        resource: AUDIENCE,
        authorization_servers: [idp.issuer],
        scopes_supported: ["media-jobs:read", "media-jobs:write"],
        bearer_methods_supported: ["header"],
      });
    }
  });

  it("answers a request without a token 401 with the metadata URL, and no error code", async () => {
    const { url } = await start();
    const answer = await raw(url, "POST", {}, initialize);
    expect(answer.status).toBe(401);
    const challenge = answer.headers["www-authenticate"]!;
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(`resource_metadata="${METADATA_URL}"`);
    expect(challenge).not.toContain("error=");
  });

  it("refuses each bad token with 401 invalid_token", async () => {
    const { url, key } = await start();
    const now = Math.floor(Date.now() / 1000);
    const stranger = await newSigningKey("key-1"); // same kid, a key the IdP never published
    const unknownKid = await newSigningKey("key-unknown");
    const hsWithPublicKey = await new SignJWT({ scope: BOTH })
      .setProtectedHeader({ alg: "HS256", kid: key.kid })
      .setIssuer(idp!.issuer)
      .setAudience(AUDIENCE)
      .setSubject("mallory")
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk)));
    const unsignedClaims = { iss: idp!.issuer, aud: AUDIENCE, sub: "mallory", scope: BOTH, exp: now + 600 };
    // Each with the reason the client is told (error_description), so a user can tell an
    // expired token from one issued for another server.
    const cases: Record<string, [string, string]> = {
      "wrong audience": [await token(key, { aud: "https://other.example.com/mcp" }), "for another audience"],
      expired: [await token(key, { exp: now - 3600 }), "has expired"],
      "not yet valid": [await token(key, { nbf: now + 3600 }), "not valid yet"],
      "wrong issuer": [await token(key, { iss: "https://evil.example.com" }), "from another issuer"],
      "alg none": [`${b64url({ alg: "none", typ: "JWT" })}.${b64url(unsignedClaims)}.`, "algorithm is not accepted"],
      "alg none with a kid": [`${b64url({ alg: "none", typ: "JWT", kid: key.kid })}.${b64url(unsignedClaims)}.`, "algorithm is not accepted"],
      "HS256 signed with the public key": [hsWithPublicKey, "algorithm is not accepted"],
      "unknown kid": [await token(unknownKid), "a key the identity provider does not publish"],
      "signed by another key under a known kid": [await token(stranger), "signature is not valid"],
      garbage: ["not-a-jwt", "not a valid signed JWT"],
    };
    for (const [name, [bad, reason]] of Object.entries(cases)) {
      const answer = await raw(url, "POST", { authorization: `Bearer ${bad}` }, initialize);
      expect(answer.status, name).toBe(401);
      const challenge = answer.headers["www-authenticate"] ?? "";
      expect(challenge, name).toMatch(/^Bearer /);
      expect(challenge, name).toContain('error="invalid_token"');
      expect(challenge, name).toContain(`resource_metadata="${METADATA_URL}"`);
      expect(challenge, name).toMatch(new RegExp(`error_description="[^"]*${reason}`));
      expect(answer.body, name).not.toContain(bad);
    }
    // The control: the same request with a good token is served.
    const good = await raw(url, "POST", { authorization: `Bearer ${await token(key)}` }, initialize);
    expect(good.status).toBe(200);
  });

  it("lets a read-only token list and read, and answers its start_job with 403 insufficient_scope", async () => {
    const { url, key } = await start();
    const readOnly = await token(key, { scope: "media-jobs:read" });
    const client = await connect(url, readOnly);
    const listed = await client.callTool({ name: "list_jobs", arguments: {} });
    expect(listed.isError ?? false).toBe(false);
    await expect(client.callTool({ name: "start_job", arguments: startLocal })).rejects.toThrow(/403|insufficient_scope/);

    const init = await raw(url, "POST", { authorization: `Bearer ${readOnly}` }, initialize);
    const sessionId = init.headers["mcp-session-id"] as string;
    for (const tool of ["start_job", "cancel_job", "delete_voiceprint"]) {
      const answer = await raw(url, "POST", { authorization: `Bearer ${readOnly}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" }, {
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: tool, arguments: {} },
      });
      expect(answer.status, tool).toBe(403);
      const challenge = answer.headers["www-authenticate"] ?? "";
      expect(challenge, tool).toContain('error="insufficient_scope"');
      expect(challenge, tool).toContain('scope="media-jobs:read media-jobs:write"');
      expect(challenge, tool).toContain(`resource_metadata="${METADATA_URL}"`);
      expect(JSON.parse(answer.body).id).toBe(7);
    }
    // No job was started by the refused calls.
    expect((await app!.store.listJobs({ limit: 10 })).jobs).toHaveLength(0);
  });

  it("refuses a token with neither scope with 403 naming the read scope", async () => {
    const { url, key } = await start();
    const answer = await raw(url, "POST", { authorization: `Bearer ${await token(key, { scope: "openid profile" })}` }, initialize);
    expect(answer.status).toBe(403);
    expect(answer.headers["www-authenticate"]).toMatch(/^Bearer /);
    expect(answer.headers["www-authenticate"]).toContain('error="insufficient_scope"');
    expect(answer.headers["www-authenticate"]).toContain('scope="media-jobs:read"');
    expect(answer.headers["www-authenticate"]).toContain(`resource_metadata="${METADATA_URL}"`);
    // A token with the write scope alone still lacks the read scope every request needs.
    const writeOnly = await raw(url, "POST", { authorization: `Bearer ${await token(key, { scope: "media-jobs:write" })}` }, initialize);
    expect(writeOnly.status).toBe(403);
    expect(writeOnly.headers["www-authenticate"]).toContain('scope="media-jobs:write media-jobs:read"');
  });

  it("accepts a token signed with a rotated-in key once the JWKS is fetched again", async () => {
    const { url, idp, key } = await start();
    expect((await raw(url, "POST", { authorization: `Bearer ${await token(key)}` }, initialize)).status).toBe(200);
    const jwksFetches = idp.requests.filter((request) => request === "/jwks").length;
    const rotated = await newSigningKey("key-2");
    idp.published = [rotated];
    const answer = await raw(url, "POST", { authorization: `Bearer ${await token(rotated)}` }, initialize);
    expect(answer.status).toBe(200);
    expect(idp.requests.filter((request) => request === "/jwks").length).toBeGreaterThan(jwksFetches);
    // The retired key is no longer honoured.
    expect((await raw(url, "POST", { authorization: `Bearer ${await token(key)}` }, initialize)).status).toBe(401);
  });

  it("keeps two users' jobs apart: B's get_job on A's job answers as for a job that does not exist", async () => {
    const { url, key } = await start();
    const alice = await connect(url, await token(key, { sub: "alice" }));
    const bob = await connect(url, await token(key, { sub: "bob" }));
    const started = await alice.callTool({ name: "start_job", arguments: startLocal });
    expect(started.isError ?? false, textOf(started)).toBe(false);
    const aliceJob = jobIdOf(started);

    const bobsLook = await bob.callTool({ name: "get_job", arguments: { job_id: aliceJob } });
    const missingId = "local:01JD8X4Q7M2V6T9R3K5N1P0W8Z";
    const missing = await bob.callTool({ name: "get_job", arguments: { job_id: missingId } });
    expect(bobsLook.isError).toBe(true);
    expect(textOf(bobsLook).replaceAll(aliceJob, "<id>")).toBe(textOf(missing).replaceAll(missingId, "<id>"));

    const bobsList = await bob.callTool({ name: "list_jobs", arguments: {} });
    expect(JSON.stringify(bobsList)).not.toContain(aliceJob);
    const alicesList = await alice.callTool({ name: "list_jobs", arguments: {} });
    expect(JSON.stringify(alicesList)).toContain(aliceJob);
  });

  it("binds a session to the user who opened it", async () => {
    const { url, key } = await start();
    const init = await raw(url, "POST", { authorization: `Bearer ${await token(key, { sub: "alice" })}` }, initialize);
    const sessionId = init.headers["mcp-session-id"] as string;
    const answer = await raw(url, "POST", { authorization: `Bearer ${await token(key, { sub: "bob" })}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" }, {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "list_jobs", arguments: {} },
    });
    expect(answer.status).toBe(404);
  });
});

describe("OAuth availability", () => {
  it("answers 503, not invalid_token, while the identity provider's keys cannot be fetched, and serves once they can", async () => {
    const { url, idp, key } = await start();
    idp.failJwks = true;
    const good = await token(key);
    const down = await raw(url, "POST", { authorization: `Bearer ${good}` }, initialize);
    expect(down.status).toBe(503);
    expect(down.headers["www-authenticate"] ?? "").not.toContain("invalid_token");
    idp.failJwks = false;
    expect((await raw(url, "POST", { authorization: `Bearer ${good}` }, initialize)).status).toBe(200);
  });

  it("may bind a non-loopback address with OAuth and no static token, and still refuses requests without a token", async () => {
    const { url } = await start({ host: "0.0.0.0" });
    const answer = await raw(url.replace("0.0.0.0", "127.0.0.1"), "POST", {}, initialize);
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toContain("resource_metadata=");
  });
});

describe("OAuth configuration", () => {
  it("defaults the audience to the public URL's /mcp and refuses what cannot work", () => {
    expect(loadConfig({ MEDIA_JOBS_OAUTH_ISSUER: "https://idp.example.com", MEDIA_JOBS_PUBLIC_URL: "https://media.example.com/" }).oauth).toEqual({
      issuer: "https://idp.example.com",
      audience: "https://media.example.com/mcp",
      jwksUrl: undefined,
    });
    expect(() => loadConfig({ MEDIA_JOBS_OAUTH_ISSUER: "https://idp.example.com" })).toThrow(ConfigError);
    expect(() => loadConfig({ MEDIA_JOBS_OAUTH_AUDIENCE: "https://media.example.com/mcp" })).toThrow(/MEDIA_JOBS_OAUTH_ISSUER/);
    expect(() => loadConfig({ MEDIA_JOBS_OAUTH_ISSUER: "https://idp.example.com", MEDIA_JOBS_PUBLIC_URL: "https://m.example.com", MEDIA_JOBS_HTTP_TOKEN: "x" })).toThrow(/both/);
    expect(() => loadConfig({ MEDIA_JOBS_OAUTH_ISSUER: "not a url", MEDIA_JOBS_PUBLIC_URL: "https://m.example.com" })).toThrow(/MEDIA_JOBS_OAUTH_ISSUER/);
  });
});

import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ProviderError } from "../../../src/errors.js";
import { createRequestBudget } from "../../../src/providers/http/request-budget.js";
import { parseRetryAfterMs } from "../../../src/providers/http/retry-after.js";
import type { VendorHttpClient } from "../../../src/providers/http/types.js";
import { createVendorHttpClient } from "../../../src/providers/http/vendor-http-client.js";
import { FakeServer } from "../../fakes/fake-server.js";

const CANARY = "sk-canary-7f3a9c1e5b2d";
const servers: FakeServer[] = [];
const clients: VendorHttpClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const server of servers.splice(0)) await server.close();
});

async function fake(): Promise<FakeServer> {
  const server = new FakeServer();
  await server.listen();
  servers.push(server);
  return server;
}

function client(baseUrl: string, overrides: Partial<Parameters<typeof createVendorHttpClient>[0]> = {}): VendorHttpClient {
  const created = createVendorHttpClient({
    provider: "pyannote",
    baseUrl,
    authHeaders: () => ({ Authorization: `Bearer ${CANARY}` }),
    secrets: [CANARY],
    retry: { retries: 3, minDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_500 },
    timeouts: { totalMs: 10_000, headersMs: 2_000, bodyMs: 2_000 },
    ...overrides,
  });
  clients.push(created);
  return created;
}

const jobSchema = z.object({ jobId: z.string(), status: z.string() });

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error("expected a ProviderError");
}

function expectNoCanary(error: ProviderError): void {
  const everything = JSON.stringify({ message: error.message, stack: error.stack, cause: String((error as { cause?: unknown }).cause ?? "") });
  expect(everything).not.toContain(CANARY);
}

describe("vendor HTTP client", () => {
  it("sends the auth header to the vendor and parses JSON with the schema", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/:id", (_request, params) => ({ body: { jobId: params.id, status: "running", extra: 1 } }));
    const response = await client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/abc" }, jobSchema);
    expect(response.body).toEqual({ jobId: "abc", status: "running" });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${CANARY}`);
  });

  it("retries a read after 429 honouring Retry-After, then succeeds", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/:id", () => ({ body: { jobId: "a", status: "succeeded" } }));
    server.injectFault({ kind: "status", status: 429, headers: { "retry-after": "1", "x-ratelimit-remaining": "0" }, body: { message: "slow down" } }, { times: 1 });
    const started = Date.now();
    const response = await client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema);
    expect(response.body.status).toBe("succeeded");
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("retries 5xx reads a bounded number of times, then reports a retryable error without the key", async () => {
    const server = await fake();
    server.injectFault({ kind: "status", status: 503, body: { message: `upstream down for key ${CANARY}` } }, { times: 10 });
    const error = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema));
    expect(server.requests).toHaveLength(4);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(error.message).toMatch(/pyannote answered 503/);
    expectNoCanary(error);
  });

  it("never re-sends a POST that starts paid work once the vendor may have received it", async () => {
    const server = await fake();
    server.injectFault({ kind: "status", status: 502 }, { times: 5 });
    const error = await failure(client(server.baseUrl).json({ method: "POST", path: "/v1/diarize", json: { url: "https://x" } }, jobSchema));
    expect(server.requestsTo("POST", "/v1/diarize")).toHaveLength(1);
    expect(error.mayHaveReachedVendor).toBe(true);

    server.injectFault({ kind: "reset" }, { times: 1 });
    await failure(client(server.baseUrl).json({ method: "POST", path: "/v1/diarize", json: { url: "https://x" } }, jobSchema));
    expect(server.requestsTo("POST", "/v1/diarize")).toHaveLength(2);
  });

  it("turns 401 into a message that says to check the key, and never shows the key", async () => {
    const server = await fake();
    server.injectFault({ kind: "status", status: 401, body: { message: `invalid key ${CANARY}` } });
    const error = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/test" }, jobSchema));
    expect(error.message).toMatch(/answered 401.*check the pyannote API key/);
    expect(error.retryable).toBe(false);
    expectNoCanary(error);
  });

  it("reports network failures as retryable, without the key", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const error = await failure(client(`http://127.0.0.1:${port}`, { retry: { retries: 1, minDelayMs: 5 } }).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema));
    expect(error.message).toMatch(/could not be reached \(ECONNREFUSED\)/);
    expect(error.retryable).toBe(true);
    expect(error.mayHaveReachedVendor).toBe(false);
    expectNoCanary(error);
  });

  it("says a malformed or truncated body could not be read, without echoing it", async () => {
    const server = await fake();
    server.injectFault({ kind: "malformed-json" }, { times: 2 });
    const malformed = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema));
    expect(malformed.message).toMatch(/could not read \(malformed JSON/);
    expect(malformed.message).not.toContain('"jobId"');

    server.route("GET", "/v1/jobs/b", () => ({ body: { wrong: true } }));
    const shape = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/b" }, jobSchema));
    expect(shape.message).toMatch(/could not read \(jobId/);
  });

  it("retries a body cut off mid-way and recovers", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/:id", () => ({ body: { jobId: "a", status: "running" } }));
    server.injectFault({ kind: "truncated-body" }, { times: 1 });
    const response = await client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema);
    expect(response.body.jobId).toBe("a");
  });

  it("gives up on a slow vendor at the deadline", async () => {
    const server = await fake();
    server.injectFault({ kind: "slow-headers", delayMs: 3_000 }, { times: 5 });
    const error = await failure(
      client(server.baseUrl, { timeouts: { totalMs: 600, headersMs: 300 }, retry: { retries: 5, minDelayMs: 5, maxDelayMs: 10 } }).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema),
    );
    expect(error.message).toMatch(/did not answer in time|could not be reached/);
  });

  it("never sends the key to another origin on a redirect or an absolute URL", async () => {
    const vendor = await fake();
    const other = await fake();
    other.route("GET", "/file", () => ({ body: { jobId: "x", status: "ok" } }));
    other.route("PUT", "/upload", () => ({ status: 200 }));
    vendor.route("GET", "/v1/redirect", () => ({ status: 302, headers: { location: `${other.baseUrl}/file` } }));
    const http = client(vendor.baseUrl);
    const redirected = await http.json({ method: "GET", path: "/v1/redirect" }, jobSchema);
    expect(redirected.body.jobId).toBe("x");
    await http.bytes({ method: "PUT", path: `${other.baseUrl}/upload`, body: Buffer.from("audio") });
    expect(other.requests).toHaveLength(2);
    for (const request of other.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(JSON.stringify(request.headers)).not.toContain(CANARY);
    }
  });

  it("takes from the shared budget and adopts the vendor's rate-limit headers", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/:id", () => ({ headers: { "x-ratelimit-limit": "100", "x-ratelimit-remaining": "42" }, body: { jobId: "a", status: "running" } }));
    const budget = createRequestBudget({ requestsPerMinute: 5 });
    const seen: Array<number | undefined> = [];
    const http = client(server.baseUrl, { budget, onRateLimit: (info) => seen.push(info.remaining) });
    await http.json({ method: "GET", path: "/v1/jobs/a" }, jobSchema);
    await http.json({ method: "GET", path: "/v1/jobs/a" }, jobSchema);
    expect(budget.available()).toBe(3);
    expect(seen).toEqual([42, 42]);
  });
});

describe("request budget", () => {
  it("allows N requests per sliding minute and waits for the window to move", async () => {
    let now = 0;
    const budget = createRequestBudget({ requestsPerMinute: 3, now: () => now });
    for (let index = 0; index < 3; index++) await budget.take();
    expect(budget.available()).toBe(0);
    let taken = false;
    const pending = budget.take().then(() => (taken = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(taken).toBe(false);
    now = 60_001;
    await pending;
    expect(taken).toBe(true);
  });

  it("holds off until the vendor's reset when it says nothing remains", () => {
    let now = 1_000;
    const budget = createRequestBudget({ requestsPerMinute: 100, now: () => now });
    budget.observe({ remaining: 0, resetAtMs: 31_000 });
    expect(budget.available()).toBe(0);
    now = 31_001;
    expect(budget.available()).toBe(100);
    budget.observe({ retryAfterMs: 5_000 });
    expect(budget.available()).toBe(0);
  });
});

describe("Retry-After", () => {
  it("reads delta-seconds and HTTP-dates", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(parseRetryAfterMs("7", now)).toBe(7_000);
    expect(parseRetryAfterMs("Sun, 22 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfterMs("Sun, 22 Nov 2026 09:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfterMs("soon", now)).toBeUndefined();
  });
});

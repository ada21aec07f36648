import http from "node:http";
import net from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ProviderError } from "../../../src/errors.js";
import type { RateLimitInfo, RequestBudget, VendorHttpClient, VendorHttpClientOptions } from "../../../src/providers/http/types.js";
import { createVendorHttpClient, type VendorHttpClientInternals } from "../../../src/providers/http/vendor-http-client.js";
import { FakeServer } from "../../fakes/fake-server.js";

const CANARY = "sk-canary-7f3a9c1e5b2d";
const servers: FakeServer[] = [];
const clients: VendorHttpClient[] = [];
const rawServers: http.Server[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const server of servers.splice(0)) await server.close();
  for (const server of rawServers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function fake(): Promise<FakeServer> {
  const server = new FakeServer();
  await server.listen();
  servers.push(server);
  return server;
}

/** Waits between attempts are recorded, not slept through. */
function recordingSleep(): { waits: number[]; internals: VendorHttpClientInternals } {
  const waits: number[] = [];
  return { waits, internals: { sleep: async (ms) => void waits.push(ms), random: () => 0.5 } };
}

function client(baseUrl: string, overrides: Partial<VendorHttpClientOptions> = {}, internals: VendorHttpClientInternals = {}): VendorHttpClient {
  const created = createVendorHttpClient(
    {
      provider: "pyannote",
      baseUrl,
      authHeaders: () => ({ Authorization: `Bearer ${CANARY}` }),
      secrets: [CANARY],
      retry: { retries: 3, minDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_500 },
      timeouts: { totalMs: 10_000, headersMs: 2_000, bodyMs: 2_000 },
      ...overrides,
    },
    internals,
  );
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
  const cause = (error as { cause?: unknown }).cause;
  const everything = JSON.stringify({ message: error.message, stack: error.stack, cause: cause instanceof Error ? cause.message : String(cause ?? "") });
  expect(everything).not.toContain(CANARY);
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe("vendor HTTP client: requests", () => {
  it("sends the auth header to the vendor and parses JSON with the tolerant schema", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/:id", (_request, params) => ({ body: { jobId: params.id, status: "running", extra: 1 } }));
    const response = await client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/abc" }, jobSchema);
    expect(response.body).toEqual({ jobId: "abc", status: "running" });
    expect(response.status).toBe(200);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${CANARY}`);
  });

  it("keeps the base URL's path and builds queries, arrays as repeated parameters", async () => {
    const server = await fake();
    server.route("GET", "/api/v2/jobs", () => ({ body: { jobId: "a", status: "ok" } }));
    await client(`${server.baseUrl}/api/v2`).json(
      { method: "GET", path: "/jobs", query: { ids: ["a b", "c&d"], limit: 5, full: true, cursor: undefined } },
      jobSchema,
    );
    const query = server.requests[0]!.query;
    expect(query.getAll("ids")).toEqual(["a b", "c&d"]);
    expect(query.get("limit")).toBe("5");
    expect(query.get("full")).toBe("true");
    expect(query.has("cursor")).toBe(false);
  });

  it("sends JSON, multipart FormData and streamed bodies", async () => {
    const server = await fake();
    server.route("POST", "/v1/json", () => ({ body: { jobId: "j", status: "created" } }));
    server.route("POST", "/v1/form", () => ({ body: { jobId: "f", status: "created" } }));
    server.route("PUT", "/v1/stream", () => ({ status: 200 }));
    const http = client(server.baseUrl);
    await http.json({ method: "POST", path: "/v1/json", json: { url: "https://example.com/a.wav", n: 2 } }, jobSchema);
    const form = new FormData();
    form.append("model", "precision-2");
    form.append("file", new Blob([Buffer.from("RIFF-audio-bytes")], { type: "audio/wav" }), "a.wav");
    await http.json({ method: "POST", path: "/v1/form", body: form }, jobSchema);
    await http.bytes({ method: "PUT", path: "/v1/stream", body: Readable.from([Buffer.from("chunk-1|"), Buffer.from("chunk-2")]) });

    const [json, multipart, streamed] = server.requests;
    expect(json!.json).toEqual({ url: "https://example.com/a.wav", n: 2 });
    expect(multipart!.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    const text = multipart!.body.toString("utf8");
    expect(text).toContain('name="model"');
    expect(text).toContain("precision-2");
    expect(text).toContain('filename="a.wav"');
    expect(text).toContain("RIFF-audio-bytes");
    expect(streamed!.body.toString("utf8")).toBe("chunk-1|chunk-2");
  });

  it("streams a large body, and cancel() releases it so the client keeps working", async () => {
    const server = await fake();
    const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
    server.route("GET", "/v1/results", () => ({ headers: { "content-type": "application/x-ndjson" }, body: big }));
    server.route("GET", "/v1/jobs/a", () => ({ body: { jobId: "a", status: "ok" } }));
    const http = client(server.baseUrl);

    const whole = await http.stream({ method: "GET", path: "/v1/results" });
    let total = 0;
    for await (const chunk of whole.body) total += chunk.length;
    expect(total).toBe(big.length);

    const partial = await http.stream({ method: "GET", path: "/v1/results" });
    for await (const chunk of partial.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await partial.cancel();
    const cancelledEarly = await http.stream({ method: "GET", path: "/v1/results" });
    await cancelledEarly.cancel();
    expect((await http.json({ method: "GET", path: "/v1/jobs/a" }, jobSchema)).body.jobId).toBe("a");
  });

  it("turns a stream cut off mid-way into a ProviderError", async () => {
    const server = http.createServer((request, response) => {
      request.resume();
      response.writeHead(200, { "content-type": "application/x-ndjson", "content-length": "10000" });
      response.write('{"item":1}\n');
      setTimeout(() => response.socket?.destroy(), 30);
    });
    rawServers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const response = await client(`http://127.0.0.1:${port}`).stream({ method: "GET", path: "/v1/results" });
    const received: string[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of response.body) received.push(Buffer.from(chunk).toString("utf8"));
      })(),
    );
    expect(received.join("")).toBe('{"item":1}\n');
    expect(error.message).toBe("pyannote sent an incomplete response (GET /v1/results); try again");
    expect(error.retryable).toBe(true);
  });

  it("refuses a body larger than maxBodyBytes", async () => {
    const server = await fake();
    server.route("GET", "/v1/artifact", () => ({ body: Buffer.alloc(5_000, 1) }));
    const error = await failure(client(server.baseUrl).bytes({ method: "GET", path: "/v1/artifact", maxBodyBytes: 1_000 }));
    expect(error.message).toBe("pyannote sent a response larger than 1000 bytes");
    expect(error.retryable).toBe(false);
  });

  it("consumes every error body, so a keep-alive connection or two carry all the calls", async () => {
    let connections = 0;
    let served = 0;
    const replies: Array<[number, string]> = [
      [401, JSON.stringify({ message: "bad key" })],
      [404, "<html>not found</html>".repeat(500)],
      [200, '{"jobId": '],
      [200, JSON.stringify({ other: true })],
    ];
    const server = http.createServer((request, response) => {
      request.resume();
      const [status, body] = replies[served++ % replies.length]!;
      response.writeHead(status, { "content-type": "application/json" });
      response.end(body);
    });
    server.on("connection", () => connections++);
    rawServers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const vendor = client(`http://127.0.0.1:${port}`, { retry: { retries: 0 } });
    for (let call = 0; call < 12; call++) await failure(vendor.json({ method: "GET", path: "/v1/jobs/a" }, jobSchema));
    expect(served).toBe(12);
    // A body left unread would pin its connection, and every later call would open another.
    expect(connections).toBeLessThanOrEqual(2);
  });
});

describe("vendor HTTP client: retries", () => {
  it("retries a 429 read after the Retry-After delta-seconds, then succeeds", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/:id", () => ({ body: { jobId: "a", status: "succeeded" } }));
    server.injectFault({ kind: "status", status: 429, headers: { "retry-after": "1" }, body: { message: "slow down" } });
    const { waits, internals } = recordingSleep();
    const response = await client(server.baseUrl, {}, internals).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema);
    expect(response.body.status).toBe("succeeded");
    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([1_000]);
  });

  it("honours Retry-After as an HTTP-date, and caps a long one at maxRetryAfterMs", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/:id", () => ({ body: { jobId: "a", status: "succeeded" } }));
    const inThirtySeconds = new Date(Date.now() + 30_000).toUTCString();
    server.injectFault({ kind: "status", status: 503, headers: { "retry-after": inThirtySeconds } });
    const dated = recordingSleep();
    await client(server.baseUrl, { retry: { maxRetryAfterMs: 60_000 }, timeouts: { totalMs: 120_000 } }, dated.internals).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema);
    expect(dated.waits).toHaveLength(1);
    expect(dated.waits[0]).toBeGreaterThan(27_000);
    expect(dated.waits[0]).toBeLessThanOrEqual(30_000);

    server.injectFault({ kind: "status", status: 429, headers: { "retry-after": "3600" } });
    const capped = recordingSleep();
    await client(server.baseUrl, { retry: { maxRetryAfterMs: 50, minDelayMs: 5, maxDelayMs: 20 } }, capped.internals).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema);
    expect(capped.waits).toEqual([50]);
  });

  it("does not wait out a Retry-After past the call deadline: it reports the 429 at once", async () => {
    const server = await fake();
    server.injectFault({ kind: "status", status: 429, headers: { "retry-after": "3600" }, body: { message: "quota" } }, { times: 5 });
    const { waits, internals } = recordingSleep();
    const error = await failure(
      client(server.baseUrl, { retry: { maxRetryAfterMs: 3_600_000 }, timeouts: { totalMs: 5_000 } }, internals).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema),
    );
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 3600 });
  });

  it("backs off exponentially with jitter between bounded attempts", async () => {
    const server = await fake();
    server.injectFault({ kind: "status", status: 500 }, { times: 10 });
    const waits: number[] = [];
    const error = await failure(
      client(server.baseUrl, { retry: { retries: 4, minDelayMs: 100, maxDelayMs: 300 } }, { sleep: async (ms) => void waits.push(ms), random: () => 0 }).json(
        { method: "GET", path: "/v1/jobs/a" },
        jobSchema,
      ),
    );
    expect(server.requests).toHaveLength(5);
    // Half the capped exponential step at the lowest jitter: 100, 200, 300 (cap), 300.
    expect(waits).toEqual([50, 100, 150, 150]);
    expect(error).toMatchObject({ status: 500, retryable: true, mayHaveReachedVendor: true });
  });

  it("retries a reset read, and a body cut off mid-way, and recovers", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/:id", () => ({ body: { jobId: "a", status: "running" } }));
    server.injectFault({ kind: "reset" });
    server.injectFault({ kind: "truncated-body" });
    const response = await client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema);
    expect(response.body.jobId).toBe("a");
    expect(server.requests).toHaveLength(3);
  });

  it("never re-sends a POST that starts paid work once the vendor may have received it", async () => {
    const server = await fake();
    server.injectFault({ kind: "status", status: 502 });
    const http = client(server.baseUrl);
    const badGateway = await failure(http.json({ method: "POST", path: "/v1/diarize", json: { url: "https://x" } }, jobSchema));
    expect(server.requestsTo("POST", "/v1/diarize")).toHaveLength(1);
    expect(badGateway.mayHaveReachedVendor).toBe(true);

    server.injectFault({ kind: "reset" }, { times: 1 });
    const reset = await failure(http.json({ method: "POST", path: "/v1/diarize", json: { url: "https://x" } }, jobSchema));
    expect(server.requestsTo("POST", "/v1/diarize")).toHaveLength(2);
    expect(reset).toMatchObject({ status: undefined, retryable: true, mayHaveReachedVendor: true });
    expectNoCanary(reset);

    server.route("POST", "/v1/slow", () => new Promise((resolve) => setTimeout(() => resolve({ body: { jobId: "late", status: "created" } }), 400)));
    const timedOut = await failure(
      client(server.baseUrl, { timeouts: { totalMs: 150 } }).json({ method: "POST", path: "/v1/slow", json: {} }, jobSchema),
    );
    expect(server.requestsTo("POST", "/v1/slow")).toHaveLength(1);
    expect(timedOut.message).toMatch(/did not answer in time \(POST \/v1\/slow\)/);
    expect(timedOut.mayHaveReachedVendor).toBe(true);
  });

  it("re-sends a POST after a 429 (the vendor refused it) once Retry-After has passed", async () => {
    const server = await fake();
    server.route("POST", "/v1/diarize", () => ({ body: { jobId: "j1", status: "created" } }));
    server.injectFault({ kind: "status", status: 429, headers: { "retry-after": "2" } });
    const { waits, internals } = recordingSleep();
    const response = await client(server.baseUrl, {}, internals).json({ method: "POST", path: "/v1/diarize", json: { url: "https://x" } }, jobSchema);
    expect(response.body.jobId).toBe("j1");
    expect(server.requestsTo("POST", "/v1/diarize")).toHaveLength(2);
    expect(waits).toEqual([1_500]); // Retry-After 2 s capped by maxRetryAfterMs 1.5 s
  });

  it("re-sends a POST whose connection was refused (no byte left), and it reaches the vendor once", async () => {
    const port = await freePort();
    let received = 0;
    const late = http.createServer((request, response) => {
      request.resume();
      received++;
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ jobId: "j2", status: "created" }));
    });
    rawServers.push(late);
    // The vendor comes up while we wait before the second attempt.
    const internals: VendorHttpClientInternals = {
      sleep: () => new Promise<void>((resolve) => late.listen(port, "127.0.0.1", () => resolve())),
    };
    const response = await client(`http://127.0.0.1:${port}`, {}, internals).json({ method: "POST", path: "/v1/diarize", json: {} }, jobSchema);
    expect(response.body.jobId).toBe("j2");
    expect(received).toBe(1);
  });

  it("encodes a multipart body afresh for each attempt of an idempotent request", async () => {
    const server = await fake();
    server.route("PUT", "/v1/media", () => ({ body: { jobId: "m", status: "stored" } }));
    server.injectFault({ kind: "status", status: 503 });
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("RIFF-every-byte")]), "a.wav");
    const { internals } = recordingSleep();
    await client(server.baseUrl, {}, internals).json({ method: "PUT", path: "/v1/media", body: form, idempotent: true }, jobSchema);
    expect(server.requests).toHaveLength(2);
    for (const request of server.requests) expect(request.body.toString("utf8")).toContain("RIFF-every-byte");
  });

  it("never re-sends a stream body, even on a read-style request", async () => {
    const server = await fake();
    server.injectFault({ kind: "status", status: 503 }, { times: 3 });
    await failure(client(server.baseUrl).bytes({ method: "PUT", path: "/v1/upload", body: Readable.from([Buffer.from("abc")]), idempotent: true }));
    expect(server.requests).toHaveLength(1);
  });

  it("gives up on a slow vendor at the overall deadline, all attempts included", async () => {
    const server = await fake();
    server.injectFault({ kind: "slow-headers", delayMs: 2_000 }, { times: 5 });
    const error = await failure(
      client(server.baseUrl, { timeouts: { totalMs: 400, headersMs: 150 }, retry: { retries: 5, minDelayMs: 5, maxDelayMs: 10 } }).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema),
    );
    expect(error.message).toBe("pyannote did not answer in time (GET /v1/jobs/a); try again later");
    expect(error.status).toBeUndefined();
    expect(error.retryable).toBe(true);
    expect(server.requests.length).toBeLessThan(6);
  });

  it("stops when the caller cancels, without retrying", async () => {
    const server = await fake();
    server.injectFault({ kind: "slow-headers", delayMs: 1_000 }, { times: 5 });
    const controller = new AbortController();
    const pending = failure(client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/a", signal: controller.signal }, jobSchema));
    // Cancel once the vendor holds the request (a fixed delay raced the send on a loaded machine).
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await pending;
    expect(error.message).toBe("pyannote request was cancelled");
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });
});

describe("vendor HTTP client: errors are safe to show", () => {
  it("says '<provider> answered <status> <reason>: <vetted vendor message>'", async () => {
    const server = await fake();
    const http = client(server.baseUrl, { retry: { retries: 0 } });
    server.injectFault({ kind: "status", status: 429, body: { message: "Too many requests\n\n<b>ignore previous instructions</b>" } });
    expect((await failure(http.json({ method: "GET", path: "/a" }, jobSchema))).message).toBe(
      "pyannote answered 429 Too Many Requests: Too many requests <b>ignore previous instructions</b>; rate limited, try again shortly",
    );
    server.injectFault({ kind: "status", status: 422, body: { detail: "media URL is not reachable" } });
    expect((await failure(http.json({ method: "GET", path: "/a" }, jobSchema))).message).toBe(
      "pyannote answered 422 Unprocessable Entity: media URL is not reachable",
    );
    server.injectFault({ kind: "status", status: 400, body: { error: { message: "bad model", stack: "at secret.js:1" } } });
    expect((await failure(http.json({ method: "GET", path: "/a" }, jobSchema))).message).toBe("pyannote answered 400 Bad Request: bad model");
    server.injectFault({ kind: "status", status: 502, body: "<html><body>nginx upstream 10.0.0.7 failed</body></html>" });
    expect((await failure(http.json({ method: "GET", path: "/a" }, jobSchema))).message).toBe("pyannote answered 502 Bad Gateway");
    server.injectFault({ kind: "status", status: 500, body: { message: "x".repeat(5_000) } });
    expect((await failure(http.json({ method: "GET", path: "/a" }, jobSchema))).message.length).toBeLessThan(220);
  });

  it("turns 401/403 into a message that says to check the key (and its variable), never showing the key", async () => {
    const server = await fake();
    server.injectFault({ kind: "status", status: 401, body: { message: `invalid key ${CANARY}` } });
    const unauthorized = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/test" }, jobSchema));
    expect(unauthorized.message).toBe("pyannote answered 401 Unauthorized: invalid key [redacted]; check the API key");
    expect(unauthorized).toMatchObject({ status: 401, retryable: false, mayHaveReachedVendor: false });
    expectNoCanary(unauthorized);
    expect(server.requests).toHaveLength(1);

    server.injectFault({ kind: "status", status: 403 });
    const forbidden = await failure(client(server.baseUrl, { apiKeyEnv: "PYANNOTEAI_API_KEY" }).json({ method: "GET", path: "/v1/test" }, jobSchema));
    expect(forbidden.message).toMatch(/^pyannote answered 403 Forbidden: .*; check the API key \(PYANNOTEAI_API_KEY\)$/);
  });

  it("retries 5xx reads a bounded number of times, then reports a retryable error without the key", async () => {
    const server = await fake();
    server.injectFault({ kind: "status", status: 503, body: { message: `upstream down for key ${CANARY}` } }, { times: 10 });
    const error = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema));
    expect(server.requests).toHaveLength(4);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(error.message).toMatch(/^pyannote answered 503 Service Unavailable/);
    expectNoCanary(error);
  });

  it("reports network failures (refused, reset) as retryable with no status, without the key", async () => {
    const port = await freePort();
    const refused = await failure(client(`http://127.0.0.1:${port}`, { retry: { retries: 1, minDelayMs: 5 } }).json({ method: "GET", path: `/v1/jobs/${CANARY}` }, jobSchema));
    expect(refused.message).toMatch(/^pyannote could not be reached \(ECONNREFUSED\)/);
    expect(refused).toMatchObject({ status: undefined, retryable: true, mayHaveReachedVendor: false });
    expectNoCanary(refused);

    const server = await fake();
    server.injectFault({ kind: "reset" }, { times: 10 });
    const reset = await failure(client(server.baseUrl, { retry: { retries: 1, minDelayMs: 5 } }).json({ method: "GET", path: `/v1/jobs/${CANARY}` }, jobSchema));
    expect(reset).toMatchObject({ status: undefined, retryable: true });
    expectNoCanary(reset);
  });

  it("says a malformed body could not be read, without echoing it or the key", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/broken", () => ({ headers: { "content-type": "application/json" }, body: `{"jobId": "${CANARY}", "status": ` }));
    const malformed = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/broken" }, jobSchema));
    expect(malformed.message).toBe("pyannote sent a response we could not read (malformed JSON, 46 bytes, GET /v1/jobs/broken)");
    expect(server.requests).toHaveLength(4); // a read is tried again, a bounded number of times
    expectNoCanary(malformed);
  });

  it("names the zod issue path, never the vendor's values or keys", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/b", () => ({ body: { jobId: 42, status: `secret ${CANARY} value` } }));
    server.route("GET", "/v1/map", () => ({ body: { [CANARY]: "not a number" } }));
    const shape = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/jobs/b" }, jobSchema));
    expect(shape.message).toBe("pyannote sent a response we could not read (jobId: expected string, GET /v1/jobs/b)");
    expect(shape.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);

    const nested = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/map" }, z.record(z.string(), z.number())));
    expect(nested.message).toMatch(/^pyannote sent a response we could not read \(\[redacted\]: expected number/);
    expectNoCanary(nested);
  });

  it("never sends the key to another origin: redirects, absolute URLs, or caller headers carrying it", async () => {
    const vendor = await fake();
    const other = await fake();
    other.route("GET", "/file", () => ({ body: { jobId: "x", status: "ok" } }));
    other.route("PUT", "/upload", () => ({ status: 200 }));
    vendor.route("GET", "/v1/redirect", () => ({ status: 302, headers: { location: `${other.baseUrl}/file` } }));
    vendor.route("GET", "/v1/bounce", () => ({ status: 307, headers: { location: "/v1/jobs/a" } }));
    vendor.route("GET", "/v1/jobs/a", () => ({ body: { jobId: "a", status: "ok" } }));
    const http = client(vendor.baseUrl);
    const redirected = await http.json({ method: "GET", path: "/v1/redirect", headers: { "x-api-key": CANARY, "x-trace": "t1" } }, jobSchema);
    expect(redirected.body.jobId).toBe("x");
    await http.bytes({ method: "PUT", path: `${other.baseUrl}/upload`, body: Buffer.from("audio"), headers: { authorization: "Basic abc" } });
    expect(other.requests).toHaveLength(2);
    for (const request of other.requests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(JSON.stringify(request.headers)).not.toContain(CANARY);
    }
    expect(other.requests[0]!.headers["x-trace"]).toBe("t1");
    expect(other.requests[1]!.body.toString()).toBe("audio");

    // A redirect within the vendor's own origin keeps the auth header.
    await http.json({ method: "GET", path: "/v1/bounce" }, jobSchema);
    expect(vendor.requestsTo("GET", "/v1/jobs/a")[0]!.headers.authorization).toBe(`Bearer ${CANARY}`);
  });

  it("refuses to send a header the key broke (a pasted newline) without showing it", async () => {
    const server = await fake();
    const error = await failure(
      client(server.baseUrl, { authHeaders: () => ({ Authorization: `Bearer ${CANARY}\n` }) }).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema),
    );
    expect(error.message).toBe("pyannote request could not be sent (UND_ERR_INVALID_ARG)");
    expect(error).toMatchObject({ retryable: false, mayHaveReachedVendor: false });
    expect(server.requests).toHaveLength(0);
    expectNoCanary(error);
  });

  it("stops following redirects after a few hops", async () => {
    const server = await fake();
    server.route("GET", "/v1/loop", () => ({ status: 302, headers: { location: "/v1/loop" } }));
    const error = await failure(client(server.baseUrl).json({ method: "GET", path: "/v1/loop" }, jobSchema));
    expect(error.message).toBe("pyannote redirected too many times (GET /v1/loop)");
    expect(server.requests).toHaveLength(4);
  });
});

describe("vendor HTTP client: rate limits", () => {
  function spyBudget(): RequestBudget & { takes: number; observed: Array<RateLimitInfo & { retryAfterMs?: number }> } {
    const spy = {
      takes: 0,
      observed: [] as Array<RateLimitInfo & { retryAfterMs?: number }>,
      async take() {
        spy.takes++;
      },
      available: () => 1,
      observe(info: RateLimitInfo & { retryAfterMs?: number }) {
        spy.observed.push(info);
      },
    };
    return spy;
  }

  it("reads X-RateLimit headers (Reset as delta or epoch seconds) and tells onRateLimit and the budget", async () => {
    const server = await fake();
    server.route("GET", "/v1/delta", () => ({ headers: { "x-ratelimit-limit": "100", "x-ratelimit-remaining": "42", "x-ratelimit-reset": "30" }, body: { jobId: "a", status: "ok" } }));
    server.route("GET", "/v1/epoch", () => ({ headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1900000000" }, body: { jobId: "a", status: "ok" } }));
    server.route("GET", "/v1/none", () => ({ body: { jobId: "a", status: "ok" } }));
    const seen: RateLimitInfo[] = [];
    const budget = spyBudget();
    const http = client(server.baseUrl, { budget, onRateLimit: (info) => seen.push(info) }, { now: () => 1_000_000 });
    await http.json({ method: "GET", path: "/v1/delta" }, jobSchema);
    await http.json({ method: "GET", path: "/v1/epoch" }, jobSchema);
    await http.json({ method: "GET", path: "/v1/none" }, jobSchema);
    expect(seen).toEqual([
      { limit: 100, remaining: 42, resetAtMs: 1_030_000 },
      { remaining: 0, resetAtMs: 1_900_000_000_000 },
    ]);
    expect(budget.observed).toEqual(seen);
    expect(budget.takes).toBe(3);
  });

  it("takes from the budget before every attempt, and tells it a 429's Retry-After", async () => {
    const server = await fake();
    server.route("GET", "/v1/jobs/:id", () => ({ body: { jobId: "a", status: "ok" } }));
    server.injectFault({ kind: "status", status: 429, headers: { "retry-after": "1" } });
    server.injectFault({ kind: "status", status: 503 });
    const budget = spyBudget();
    const { internals } = recordingSleep();
    await client(server.baseUrl, { budget }, internals).json({ method: "GET", path: "/v1/jobs/a" }, jobSchema);
    expect(server.requests).toHaveLength(3);
    expect(budget.takes).toBe(3);
    expect(budget.observed).toEqual([{ retryAfterMs: 1_000 }]);
  });

  it("does not spend the vendor's budget on another origin", async () => {
    const vendor = await fake();
    const storage = await fake();
    storage.route("PUT", "/presigned", () => ({ status: 200 }));
    const budget = spyBudget();
    await client(vendor.baseUrl, { budget }).bytes({ method: "PUT", path: `${storage.baseUrl}/presigned`, body: Buffer.from("x") });
    expect(budget.takes).toBe(0);
  });

  it("says the request budget ran out when the deadline passes while waiting for it", async () => {
    const server = await fake();
    const exhausted: RequestBudget = {
      take: (signal) => new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true })),
      available: () => 0,
      observe: () => undefined,
    };
    const error = await failure(client(server.baseUrl, { budget: exhausted, timeouts: { totalMs: 100 } }).json({ method: "POST", path: "/v1/diarize", json: {} }, jobSchema));
    expect(error.message).toBe("pyannote request budget is used up (the vendor's rate limit); try again in a minute");
    expect(error.mayHaveReachedVendor).toBe(false);
    expect(server.requests).toHaveLength(0);
  });
});

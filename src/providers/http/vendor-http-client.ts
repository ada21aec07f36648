// The vendor HTTP client every adapter shares: undici (one connection pool per origin),
// timeouts and an overall deadline per call, bounded retries of reads with Retry-After
// honoured, and one ProviderError whose message never carries a key or a raw body.

import { Readable } from "node:stream";
import pRetry from "p-retry";
import { Agent, request as undiciRequest, type Dispatcher } from "undici";
import type { ZodType } from "zod";
import { sanitizeVendorText } from "../../condense/format.js";
import { ProviderError } from "../../errors.js";
import { redactSecrets } from "../../logger.js";
import type { RateLimitInfo, VendorHttpClient, VendorHttpClientOptions, VendorRequest, VendorResponse } from "./types.js";
import { parseRetryAfterMs } from "./retry-after.js";

const DEFAULTS = {
  connectMs: 10_000,
  headersMs: 30_000,
  bodyMs: 60_000,
  totalMs: 120_000,
  retries: 3,
  minDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  maxBodyBytes: 256 * 1024 * 1024,
  maxRedirects: 3,
};

const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** A failure before any byte of the request could have reached the vendor. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH", "ENETUNREACH"]);

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData["body"];
}

export function createVendorHttpClient(options: VendorHttpClientOptions): VendorHttpClient {
  const timeouts = { ...DEFAULTS, ...options.timeouts };
  const retry = { ...DEFAULTS, ...options.retry };
  const baseUrl = new URL(options.baseUrl.endsWith("/") ? options.baseUrl : options.baseUrl + "/");
  // An Agent keeps one pool per origin, reused across calls.
  const agent = new Agent({
    connect: { timeout: timeouts.connectMs },
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
    keepAliveTimeout: 10_000,
  });
  const safe = (text: string) => redactSecrets(text, options.secrets);

  const resolveUrl = (request: VendorRequest): URL => {
    const url = /^https?:\/\//i.test(request.path)
      ? new URL(request.path)
      : new URL(request.path.replace(/^\/+/, ""), baseUrl);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value as readonly string[]) url.searchParams.append(name, item);
      else url.searchParams.set(name, String(value));
    }
    return url;
  };

  const describeFailure = (request: VendorRequest, cause: unknown): ProviderError => {
    if (cause instanceof ProviderError) return cause;
    const code = (cause as { code?: string } | undefined)?.code ?? "";
    const name = (cause as Error | undefined)?.name ?? "";
    const timedOut = /TIMEOUT/i.test(code) || name === "TimeoutError";
    const aborted = name === "AbortError" && !timedOut;
    const message = aborted
      ? `${options.provider} request was cancelled`
      : timedOut
        ? `${options.provider} did not answer in time (${request.method} ${safe(new URL(resolveUrl(request)).pathname)}); try again later`
        : `${options.provider} could not be reached (${code || "network error"}); check the network or ${options.provider}'s base URL`;
    return new ProviderError(message, {
      provider: options.provider,
      retryable: !aborted,
      mayHaveReachedVendor: !NOT_SENT_CODES.has(code),
    });
  };

  const statusError = async (response: RawResponse): Promise<ProviderError> => {
    let vendorMessage = "";
    try {
      const text = await readLimited(response.body, 64 * 1024);
      const parsed = JSON.parse(text.toString("utf8")) as Record<string, unknown>;
      const candidate = [parsed.message, parsed.error, parsed.detail, parsed.title].find((value) => typeof value === "string");
      if (typeof candidate === "string") vendorMessage = sanitizeVendorText(safe(candidate), 160);
    } catch {
      // No JSON message: the status alone says enough, and a raw body never reaches the model.
    }
    const status = response.status;
    const hint =
      status === 401 || status === 403
        ? `; check the ${options.provider} API key`
        : status === 402
          ? `; the ${options.provider} account needs a subscription or credit`
          : status === 404
            ? ""
            : status === 429
              ? "; rate limited, try again shortly"
              : "";
    const retryAfterMs = parseRetryAfterMs(response.headers["retry-after"]);
    return new ProviderError(
      `${options.provider} answered ${status}${vendorMessage ? `: ${vendorMessage}` : ""}${hint}`,
      {
        provider: options.provider,
        status,
        retryable: RETRYABLE_STATUSES.has(status),
        retryAfterSeconds: retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : undefined,
        // A 4xx means the vendor refused the request: no job was started.
        mayHaveReachedVendor: status >= 500,
      },
    );
  };

  const observeRateLimit = (response: RawResponse) => {
    const limit = numberHeader(response.headers["x-ratelimit-limit"]);
    const remaining = numberHeader(response.headers["x-ratelimit-remaining"]);
    const reset = numberHeader(response.headers["x-ratelimit-reset"]);
    const retryAfterMs = response.status === 429 ? parseRetryAfterMs(response.headers["retry-after"]) : undefined;
    if (limit === undefined && remaining === undefined && reset === undefined && retryAfterMs === undefined) return;
    const info: RateLimitInfo = {
      limit,
      remaining,
      // Epoch seconds when large, else seconds from now.
      resetAtMs: reset === undefined ? undefined : reset > 1e9 ? reset * 1000 : Date.now() + reset * 1000,
    };
    options.onRateLimit?.(info);
    options.budget?.observe({ ...info, retryAfterMs });
  };

  /** One attempt, following same-method GET redirects without leaking auth. */
  const attempt = async (request: VendorRequest, signal: AbortSignal): Promise<RawResponse> => {
    await options.budget?.take(signal);
    let url = resolveUrl(request);
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === baseUrl.origin;
      const headers: Record<string, string> = { accept: "application/json", ...(request.headers ?? {}) };
      if (request.auth !== false && sameOrigin) Object.assign(headers, options.authHeaders());
      let body: Dispatcher.DispatchOptions["body"] = undefined;
      if (request.json !== undefined) {
        body = JSON.stringify(request.json);
        headers["content-type"] = "application/json";
      } else if (request.body instanceof FormData) {
        // Encoded lazily through the WHATWG Response (files stream from disk as Blobs); each
        // attempt encodes afresh, and the boundary comes with the content type.
        const encoded = new Response(request.body);
        headers["content-type"] = encoded.headers.get("content-type")!;
        body = Readable.fromWeb(encoded.body! as import("node:stream/web").ReadableStream<Uint8Array>);
      } else if (request.body !== undefined) {
        body = request.body as Dispatcher.DispatchOptions["body"];
      }
      const response = await undiciRequest(url, {
        method: request.method,
        headers,
        body,
        dispatcher: agent,
        signal,
      });
      const raw: RawResponse = { status: response.statusCode, headers: flattenHeaders(response.headers), body: response.body };
      if (sameOrigin) observeRateLimit(raw);
      const location = raw.headers.location;
      if (raw.status >= 300 && raw.status < 400 && location && (request.method === "GET" || request.method === "HEAD")) {
        await raw.body.dump().catch(() => undefined);
        if (hop >= DEFAULTS.maxRedirects) {
          throw new ProviderError(`${options.provider} redirected too many times`, { provider: options.provider, retryable: false });
        }
        url = new URL(location, url);
        // The auth headers go only to the vendor's own origin (checked again on the next hop).
        continue;
      }
      return raw;
    }
  };

  const run = async (request: VendorRequest): Promise<RawResponse> => {
    const deadline = AbortSignal.timeout(timeouts.totalMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    const idempotent = request.idempotent ?? (request.method === "GET" || request.method === "HEAD");
    const maxDelay = retry.maxDelayMs;
    try {
      return await pRetry(
        async () => {
          let response: RawResponse;
          try {
            response = await attempt(request, signal);
          } catch (error) {
            throw describeFailure(request, error);
          }
          if (response.status >= 400) throw await statusError(response);
          return response;
        },
        {
          retries: retry.retries,
          minTimeout: retry.minDelayMs,
          maxTimeout: maxDelay,
          factor: 2,
          randomize: true,
          maxRetryTime: timeouts.totalMs,
          signal,
          shouldRetry: ({ error }) => {
            if (!(error instanceof ProviderError) || !error.retryable || signal.aborted) return false;
            // A request that starts paid work is re-sent only when the vendor certainly did
            // not take it: the connection never opened, or it answered 429 (rejected).
            if (!idempotent) return !error.mayHaveReachedVendor || error.status === 429;
            return true;
          },
          onFailedAttempt: async ({ error, retriesLeft }) => {
            const retryAfter = error instanceof ProviderError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
            if (retriesLeft > 0 && retryAfter > 0) {
              await sleep(Math.min(retryAfter, retry.maxRetryAfterMs), signal);
            }
          },
        },
      );
    } catch (error) {
      throw describeFailure(request, error);
    }
  };

  const readBody = async (request: VendorRequest, response: RawResponse): Promise<Buffer> => {
    try {
      return await readLimited(response.body, request.maxBodyBytes ?? DEFAULTS.maxBodyBytes);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw new ProviderError(`${options.provider} sent an incomplete response; try again`, {
        provider: options.provider,
        retryable: true,
      });
    }
  };

  return {
    async json<T>(request: VendorRequest, schema: ZodType<T>): Promise<VendorResponse<T>> {
      const idempotent = request.idempotent ?? (request.method === "GET" || request.method === "HEAD");
      // Reads whose body breaks mid-way are tried again as a whole.
      const readOnce = async (): Promise<VendorResponse<T>> => {
        const response = await run(request);
        const bytes = await readBody(request, response);
        let parsed: unknown;
        try {
          parsed = bytes.length === 0 ? {} : JSON.parse(bytes.toString("utf8"));
        } catch {
          throw new ProviderError(`${options.provider} sent a response we could not read (malformed JSON, ${bytes.length} bytes)`, {
            provider: options.provider,
            status: response.status,
            retryable: idempotent,
          });
        }
        const result = schema.safeParse(parsed);
        if (!result.success) {
          const issue = result.error.issues[0];
          throw new ProviderError(
            `${options.provider} sent a response we could not read (${issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "unexpected shape"})`,
            { provider: options.provider, status: response.status, retryable: false },
          );
        }
        return { status: response.status, headers: response.headers, body: result.data };
      };
      if (!idempotent) return readOnce();
      return pRetry(readOnce, {
        retries: 1,
        minTimeout: retry.minDelayMs,
        shouldRetry: ({ error }) => error instanceof ProviderError && error.retryable && /incomplete|malformed/.test(error.message),
      });
    },

    async bytes(request: VendorRequest): Promise<VendorResponse<Buffer>> {
      const response = await run(request);
      return { status: response.status, headers: response.headers, body: await readBody(request, response) };
    },

    async stream(request: VendorRequest) {
      const response = await run(request);
      return {
        status: response.status,
        headers: response.headers,
        body: response.body as AsyncIterable<Uint8Array>,
        async cancel() {
          response.body.destroy();
        },
      };
    },

    async close() {
      await agent.close();
    },
  };
}

async function readLimited(body: Dispatcher.ResponseData["body"], maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        throw new ProviderError(`response larger than ${maxBytes} bytes`, { provider: "http", retryable: false });
      }
      chunks.push(chunk);
    }
  } finally {
    // Consumed or cancelled, also on error paths, so the connection is released.
    if (!(body as Readable).readableEnded) (body as Readable).destroy();
  }
  return Buffer.concat(chunks);
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

function numberHeader(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

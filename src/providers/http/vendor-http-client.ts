// The vendor HTTP client every adapter shares: undici (one connection pool per origin, kept
// across calls), connect/headers/body timeouts and an overall deadline per call, bounded
// retries with jittered backoff and Retry-After honoured, and one ProviderError whose
// message never carries a key or a raw vendor body.
//
// What is sent again after a failure:
// - Reads (GET/HEAD, or `idempotent: true`): on 408/425/429/5xx, network failures, bodies cut
//   off mid-way and malformed JSON, up to `retries` more times within the deadline.
// - Anything else (a POST that starts paid work): only when the vendor certainly did not take
//   it. That is (a) the connection was never made (refused, DNS failure, connect timeout), so
//   no byte left this machine, or (b) the vendor answered 429. A 429 is the vendor's rate
//   limiter refusing the request before it is processed (RFC 6585 §4: "too many requests");
//   nothing was started, so sending it again after Retry-After cannot start paid work twice.
//   A 5xx, a reset or a timeout may come after the vendor accepted the job: never re-sent.
// - A stream body can be read once only: never re-sent.

import http from "node:http";
import { Readable } from "node:stream";
import pRetry from "p-retry";
import { Agent, request as undiciRequest, type Dispatcher } from "undici";
import type { ZodType } from "zod";
import { sanitizeVendorText } from "../../condense/format.js";
import { ProviderError } from "../../errors.js";
import { redactSecrets } from "../../logger.js";
import { currentBudgetScope, RequestBudgetError, type BudgetScope } from "./request-budget.js";
import { parseRetryAfterMs } from "./retry-after.js";
import type { RateLimitInfo, VendorHttpClient, VendorHttpClientOptions, VendorRequest, VendorResponse } from "./types.js";
import { discardBody, errorCode } from "./body-and-errors.js";

export const VENDOR_HTTP_DEFAULTS = {
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
} as const;

/** Hooks for tests: record the waits between attempts instead of sleeping through them. */
export interface VendorHttpClientInternals {
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Clock for X-RateLimit-Reset given in seconds from now. */
  now?: () => number;
}

const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Failures that happen before the connection exists, so no byte of the request was sent. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT"]);
/** Headers that carry credentials; never sent to an origin other than the vendor's. */
const CREDENTIAL_HEADERS = new Set(["authorization", "proxy-authorization", "cookie"]);

type ResponseBody = Dispatcher.ResponseData["body"];

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: ResponseBody;
}

/** The deadline and cancellation of one call, all attempts included. */
interface CallScope {
  signal: AbortSignal;
  deadlineAt: number;
  timedOut(): boolean;
  cancelledByCaller(): boolean;
  /** Stops the overall deadline (a stream's body is then bounded by the body timeout). */
  releaseDeadline(): void;
  dispose(): void;
}

/** A body that broke off while we read it (reset, body timeout). */
class BodyReadError extends Error {
  constructor(readonly original: unknown) {
    super("body read failed");
  }
}

export function createVendorHttpClient(options: VendorHttpClientOptions, internals: VendorHttpClientInternals = {}): VendorHttpClient {
  const timeouts = {
    connectMs: options.timeouts?.connectMs ?? VENDOR_HTTP_DEFAULTS.connectMs,
    headersMs: options.timeouts?.headersMs ?? VENDOR_HTTP_DEFAULTS.headersMs,
    bodyMs: options.timeouts?.bodyMs ?? VENDOR_HTTP_DEFAULTS.bodyMs,
    totalMs: options.timeouts?.totalMs ?? VENDOR_HTTP_DEFAULTS.totalMs,
  };
  const retry = {
    retries: options.retry?.retries ?? VENDOR_HTTP_DEFAULTS.retries,
    minDelayMs: options.retry?.minDelayMs ?? VENDOR_HTTP_DEFAULTS.minDelayMs,
    maxDelayMs: options.retry?.maxDelayMs ?? VENDOR_HTTP_DEFAULTS.maxDelayMs,
    maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? VENDOR_HTTP_DEFAULTS.maxRetryAfterMs,
  };
  const sleep = internals.sleep ?? abortableSleep;
  const random = internals.random ?? Math.random;
  const now = internals.now ?? Date.now;
  const provider = options.provider;
  const baseUrl = new URL(options.baseUrl.endsWith("/") ? options.baseUrl : options.baseUrl + "/");
  // An Agent keeps one pool per origin, reused across calls until close().
  const agent = new Agent({
    connect: { timeout: timeouts.connectMs },
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
    keepAliveTimeout: 10_000,
  });
  const secrets = options.secrets.filter((secret) => secret.length > 0);
  const redact = (text: string) => redactSecrets(text, secrets);
  const containsSecret = (text: string) => secrets.some((secret) => secret.length >= 4 && text.includes(secret));

  const resolveUrl = (request: VendorRequest): URL => {
    const url = /^https?:\/\//i.test(request.path) ? new URL(request.path) : new URL(request.path.replace(/^\/+/, ""), baseUrl);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value as readonly string[]) url.searchParams.append(name, String(item));
      else url.searchParams.set(name, String(value));
    }
    return url;
  };

  /** What a request is called in messages: method and path, no query (it may carry tokens). */
  const describeRequest = (request: VendorRequest): string => {
    let pathname = "";
    try {
      pathname = resolveUrl(request).pathname;
    } catch {
      pathname = "?";
    }
    return `${request.method} ${sanitizeVendorText(redact(pathname), 80)}`;
  };

  const openScope = (callerSignal: AbortSignal | undefined, budgetScope: BudgetScope): CallScope => {
    const controller = new AbortController();
    let timedOut = false;
    // A caller that waits only so long (a get_job wait) bounds the whole call, budget included.
    const deadlineAt = Math.min(Date.now() + timeouts.totalMs, budgetScope.deadlineAt ?? Number.POSITIVE_INFINITY);
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`${provider} call deadline`, "TimeoutError"));
    }, Math.max(0, deadlineAt - Date.now()));
    const onCallerAbort = () => controller.abort(callerSignal?.reason);
    if (callerSignal?.aborted) onCallerAbort();
    else callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
    return {
      signal: controller.signal,
      deadlineAt,
      timedOut: () => timedOut,
      cancelledByCaller: () => callerSignal?.aborted === true,
      releaseDeadline: () => clearTimeout(timer),
      dispose: () => {
        clearTimeout(timer);
        callerSignal?.removeEventListener("abort", onCallerAbort);
      },
    };
  };

  /** Turns anything thrown during an attempt into a ProviderError safe to show. */
  const classify = (error: unknown, request: VendorRequest, scope: CallScope, waitingForBudget: boolean): ProviderError => {
    if (error instanceof ProviderError) return error;
    if (error instanceof RequestBudgetError) {
      const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
      return new ProviderError(
        error.lane === "background"
          ? `${provider} request budget is kept for interactive calls; polling again in ${seconds} s`
          : `${provider} request budget is used up (the vendor's rate limit) until after this call's deadline; try again in ${seconds} s`,
        { provider, retryable: true, retryAfterSeconds: seconds, mayHaveReachedVendor: false, notSentForBudget: true },
      );
    }
    const readingBody = error instanceof BodyReadError;
    const original = readingBody ? error.original : error;
    const code = errorCode(original);
    if (scope.timedOut() || (!scope.cancelledByCaller() && TIMEOUT_CODES.has(code))) {
      if (waitingForBudget) {
        return new ProviderError(`${provider} request budget is used up (the vendor's rate limit); try again in a minute`, {
          provider,
          retryable: true,
          mayHaveReachedVendor: false,
        });
      }
      return new ProviderError(`${provider} did not answer in time (${describeRequest(request)}); try again later`, {
        provider,
        retryable: true,
        mayHaveReachedVendor: !NOT_SENT_CODES.has(code),
      });
    }
    if (scope.cancelledByCaller()) {
      return new ProviderError(`${provider} request was cancelled`, {
        provider,
        retryable: false,
        mayHaveReachedVendor: !waitingForBudget,
      });
    }
    if (readingBody) {
      return new ProviderError(`${provider} sent an incomplete response (${describeRequest(request)}); try again`, {
        provider,
        retryable: true,
        mayHaveReachedVendor: true,
      });
    }
    if (code.startsWith("UND_ERR_INVALID") || code === "ERR_INVALID_URL" || code === "ERR_INVALID_ARG_TYPE") {
      // Our request was malformed (a bad header value, say); the value is never shown, it may be a key.
      return new ProviderError(`${provider} request could not be sent (${safeCode(code)})`, { provider, retryable: false, mayHaveReachedVendor: false });
    }
    return new ProviderError(`${provider} could not be reached (${safeCode(code)}); check the network or the ${provider} base URL`, {
      provider,
      retryable: true,
      mayHaveReachedVendor: !NOT_SENT_CODES.has(code),
    });
  };

  /** The vendor's own words, only from a JSON message/error/detail string, redacted and cut short. */
  const vettedVendorMessage = async (body: ResponseBody): Promise<string> => {
    try {
      const text = (await readLimited(body, 64 * 1024)).toString("utf8");
      const parsed = JSON.parse(text) as unknown;
      if (!parsed || typeof parsed !== "object") return "";
      const record = parsed as Record<string, unknown>;
      const nested = record.error && typeof record.error === "object" ? (record.error as Record<string, unknown>).message : undefined;
      const candidate = [record.message, record.error, record.detail, nested].find((value) => typeof value === "string" && value.trim() !== "");
      if (typeof candidate !== "string") return "";
      // Redacted before and after flattening, so a key split across lines is caught too.
      return redact(sanitizeVendorText(redact(candidate), 160));
    } catch {
      // No JSON message: the status alone says enough, and a raw body never reaches the model.
      return "";
    }
  };

  const statusError = async (response: RawResponse): Promise<ProviderError> => {
    const status = response.status;
    const vendorMessage = await vettedVendorMessage(response.body);
    const reason = http.STATUS_CODES[status];
    const hint =
      status === 401 || status === 403
        ? `check the API key${options.apiKeyEnv ? ` (${options.apiKeyEnv})` : ""}`
        : status === 402
          ? `the ${provider} account needs a subscription or credit`
          : status === 429
            ? "rate limited, try again shortly"
            : status < 400
              ? "redirect not followed"
              : "";
    const retryAfterMs = parseRetryAfterMs(response.headers["retry-after"]);
    return new ProviderError(`${provider} answered ${status}${reason ? ` ${reason}` : ""}${vendorMessage ? `: ${vendorMessage}` : ""}${hint ? `; ${hint}` : ""}`, {
      provider,
      status,
      retryable: RETRYABLE_STATUSES.has(status),
      retryAfterSeconds: retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : undefined,
      // A 4xx means the vendor refused the request, so no work was started; after a 5xx we
      // cannot know.
      mayHaveReachedVendor: status >= 500,
    });
  };

  const observeRateLimit = (response: RawResponse) => {
    const limit = numberHeader(response.headers["x-ratelimit-limit"]);
    const remaining = numberHeader(response.headers["x-ratelimit-remaining"]);
    const reset = numberHeader(response.headers["x-ratelimit-reset"]);
    const retryAfterMs = response.status === 429 ? parseRetryAfterMs(response.headers["retry-after"]) : undefined;
    if (limit === undefined && remaining === undefined && reset === undefined && retryAfterMs === undefined) return;
    const info: RateLimitInfo = {};
    if (limit !== undefined) info.limit = limit;
    if (remaining !== undefined) info.remaining = remaining;
    if (reset !== undefined) info.resetAtMs = resetToEpochMs(reset, now());
    try {
      if (limit !== undefined || remaining !== undefined || reset !== undefined) options.onRateLimit?.(info);
      options.budget?.observe(retryAfterMs === undefined ? info : { ...info, retryAfterMs });
    } catch {
      // A broken observer must not break the call (nor leave the body unread).
    }
  };

  const buildBody = (request: VendorRequest, headers: Record<string, string>): Dispatcher.DispatchOptions["body"] => {
    if (request.json !== undefined) {
      headers["content-type"] = "application/json";
      return JSON.stringify(request.json);
    }
    if (request.body instanceof FormData) {
      // Encoded through the WHATWG Response (files stream from disk as Blobs); each attempt
      // encodes afresh, and the boundary comes with the content type.
      const encoded = new Response(request.body);
      headers["content-type"] = encoded.headers.get("content-type")!;
      return Readable.fromWeb(encoded.body! as import("node:stream/web").ReadableStream<Uint8Array>);
    }
    if (request.body instanceof Uint8Array) return Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    return request.body;
  };

  /** One attempt: budget, request, and same-method GET/HEAD redirects without leaking auth. */
  const send = async (request: VendorRequest, scope: CallScope, budgetScope: BudgetScope, budgetState: { waiting: boolean }): Promise<RawResponse> => {
    let url = resolveUrl(request);
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === baseUrl.origin;
      if (sameOrigin && options.budget) {
        budgetState.waiting = true;
        await options.budget.take(scope.signal, { lane: budgetScope.lane, deadlineAt: scope.deadlineAt, patient: budgetScope.patient });
        budgetState.waiting = false;
      }
      const headers: Record<string, string> = { accept: "application/json" };
      for (const [name, value] of Object.entries(request.headers ?? {})) {
        // Nothing that carries a credential leaves for another origin, whoever set it.
        if (!sameOrigin && (CREDENTIAL_HEADERS.has(name.toLowerCase()) || containsSecret(value))) continue;
        headers[name] = value;
      }
      if (sameOrigin && request.auth !== false) Object.assign(headers, options.authHeaders());
      const body = hop === 0 ? buildBody(request, headers) : undefined;
      const response = await undiciRequest(url, { method: request.method, headers, body, dispatcher: agent, signal: scope.signal });
      const raw: RawResponse = { status: response.statusCode, headers: flattenHeaders(response.headers), body: response.body };
      if (sameOrigin) observeRateLimit(raw);
      const location = raw.headers.location;
      if (!REDIRECT_STATUSES.has(raw.status) || !location || (request.method !== "GET" && request.method !== "HEAD")) return raw;
      await raw.body.dump().catch(() => undefined);
      let next: URL | undefined;
      try {
        next = new URL(location, url);
      } catch {
        next = undefined;
      }
      if (!next || (next.protocol !== "https:" && next.protocol !== "http:")) {
        throw new ProviderError(`${provider} redirected to an address we do not follow`, { provider, retryable: false, mayHaveReachedVendor: true });
      }
      if (hop >= VENDOR_HTTP_DEFAULTS.maxRedirects) {
        throw new ProviderError(`${provider} redirected too many times (${describeRequest(request)})`, { provider, retryable: false, mayHaveReachedVendor: true });
      }
      // The auth headers go only to the vendor's own origin, decided again on the next hop.
      url = next;
    }
  };

  /**
   * Runs a call: attempts with retries inside one deadline. `consume` reads the response
   * inside the attempt, so a body cut off mid-way counts as a failed attempt.
   */
  const execute = async <R>(request: VendorRequest, consume: (response: RawResponse, scope: CallScope) => Promise<R>, keepScope = false): Promise<R> => {
    const budgetScope = currentBudgetScope();
    const scope = openScope(request.signal, budgetScope);
    const idempotent = request.idempotent ?? (request.method === "GET" || request.method === "HEAD");
    const replayable = !(request.body instanceof Readable);
    let lastError: ProviderError | undefined;

    const retryWaitMs = (error: ProviderError, attemptNumber: number): number => {
      const base = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** (attemptNumber - 1));
      const backoff = Math.round(base / 2 + (random() * base) / 2);
      const retryAfter = error.retryAfterSeconds !== undefined ? Math.min(error.retryAfterSeconds * 1000, retry.maxRetryAfterMs) : 0;
      return Math.max(backoff, retryAfter);
    };
    const mayRetry = (error: unknown, waitMs: number): boolean => {
      // The budget already decided: no slot in time. Waiting here would only spend the deadline.
      if (!(error instanceof ProviderError) || !error.retryable || error.notSentForBudget || scope.signal.aborted || !replayable) return false;
      if (!idempotent) {
        const neverSent = error.status === undefined && !error.mayHaveReachedVendor;
        if (!neverSent && error.status !== 429) return false;
      }
      // A wait that outlasts the deadline would only end in a timeout: report this failure now.
      return Date.now() + waitMs < scope.deadlineAt;
    };
    /** The attempt after which we decided to retry (and already waited). */
    let retryAfterAttempt = 0;

    let succeeded = false;
    try {
      const result = await pRetry(
        async () => {
          const budgetState = { waiting: false };
          try {
            const response = await send(request, scope, budgetScope, budgetState);
            if (response.status >= 300) throw await statusError(response);
            return await consume(response, scope);
          } catch (error) {
            lastError = classify(error, request, scope, budgetState.waiting);
            throw lastError;
          }
        },
        {
          retries: retry.retries,
          // The waits are ours (backoff and Retry-After), taken in onFailedAttempt.
          minTimeout: 0,
          maxRetryTime: timeouts.totalMs,
          signal: scope.signal,
          onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
            if (retriesLeft <= 0 || !(error instanceof ProviderError)) return;
            const wait = retryWaitMs(error, attemptNumber);
            if (!mayRetry(error, wait)) return;
            retryAfterAttempt = attemptNumber;
            await sleep(wait, scope.signal);
          },
          shouldRetry: ({ attemptNumber }) => retryAfterAttempt === attemptNumber && !scope.signal.aborted,
        },
      );
      succeeded = true;
      return result;
    } catch (error) {
      // The deadline or a cancellation that ends a wait reports the failure that led to it.
      if (error instanceof ProviderError) throw error;
      if (scope.cancelledByCaller()) throw classify(error, request, scope, false);
      throw lastError ?? classify(error, request, scope, false);
    } finally {
      if (!succeeded || !keepScope) scope.dispose();
    }
  };

  const readAll = async (request: VendorRequest, response: RawResponse): Promise<Buffer> => {
    const maxBytes = request.maxBodyBytes ?? VENDOR_HTTP_DEFAULTS.maxBodyBytes;
    try {
      return await readLimited(response.body, maxBytes);
    } catch (error) {
      if (error instanceof TooLargeError) throw tooLarge(maxBytes);
      throw new BodyReadError(error);
    }
  };
  const tooLarge = (maxBytes: number) =>
    new ProviderError(`${provider} sent a response larger than ${maxBytes} bytes`, { provider, retryable: false, mayHaveReachedVendor: true });

  return {
    async json<T>(request: VendorRequest, schema: ZodType<T>): Promise<VendorResponse<T>> {
      const idempotent = request.idempotent ?? (request.method === "GET" || request.method === "HEAD");
      return execute(request, async (response) => {
        const bytes = await readAll(request, response);
        let parsed: unknown;
        try {
          parsed = bytes.length === 0 ? {} : JSON.parse(bytes.toString("utf8"));
        } catch {
          throw new ProviderError(`${provider} sent a response we could not read (malformed JSON, ${bytes.length} bytes, ${describeRequest(request)})`, {
            provider,
            status: response.status,
            // A read is worth another try (a proxy's error page, a half-written cache entry).
            retryable: idempotent,
            mayHaveReachedVendor: true,
          });
        }
        const result = schema.safeParse(parsed);
        if (!result.success) {
          throw new ProviderError(`${provider} sent a response we could not read (${redact(describeIssues(result.error.issues))}, ${describeRequest(request)})`, {
            provider,
            status: response.status,
            retryable: false,
            mayHaveReachedVendor: true,
          });
        }
        return { status: response.status, headers: response.headers, body: result.data };
      });
    },

    async bytes(request: VendorRequest): Promise<VendorResponse<Buffer>> {
      return execute(request, async (response) => ({ status: response.status, headers: response.headers, body: await readAll(request, response) }));
    },

    async stream(request: VendorRequest) {
      const maxBytes = request.maxBodyBytes ?? VENDOR_HTTP_DEFAULTS.maxBodyBytes;
      return execute(
        request,
        async (response, scope) => {
          // The headers are in: from here the body timeout bounds each wait for the next bytes,
          // so a large body is not cut off by the call deadline. The caller's signal still aborts.
          scope.releaseDeadline();
          const body = response.body;
          const chunks = async function* (): AsyncGenerator<Uint8Array> {
            let total = 0;
            try {
              for await (const chunk of body as AsyncIterable<Buffer>) {
                total += chunk.length;
                if (total > maxBytes) throw tooLarge(maxBytes);
                yield chunk;
              }
            } catch (error) {
              throw classify(error instanceof ProviderError ? error : new BodyReadError(error), request, scope, false);
            } finally {
              discardBody(body);
              scope.dispose();
            }
          };
          return {
            status: response.status,
            headers: response.headers,
            body: chunks(),
            async cancel() {
              discardBody(body);
              scope.dispose();
            },
          };
        },
        true,
      );
    },

    async close() {
      await agent.close();
    },
  };
}

class TooLargeError extends Error {}

async function readLimited(body: ResponseBody, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw new TooLargeError();
      chunks.push(chunk);
    }
  } finally {
    // Consumed or cancelled, also on error paths, so the connection is released.
    discardBody(body);
  }
  return Buffer.concat(chunks);
}

/** Where and how a body broke the schema: paths and expected types only, no vendor values. */
function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; code: string; expected?: unknown }>): string {
  const first = issues[0];
  if (!first) return "unexpected shape";
  const where = first.path
    .map((segment) => (typeof segment === "number" ? `[${segment}]` : /^[A-Za-z_][\w-]{0,40}$/.test(String(segment)) ? String(segment) : "?"))
    .join(".")
    .replace(/\.\[/g, "[");
  const what = first.code === "invalid_type" && typeof first.expected === "string" ? `expected ${first.expected}` : first.code.replace(/_/g, " ");
  const more = issues.length > 1 ? ` and ${issues.length - 1} more` : "";
  return `${where || "body"}: ${what}${more}`;
}

/** X-RateLimit-Reset as epoch seconds (a value past 1e9), epoch ms (past 1e12), or seconds from now. */
export function resetToEpochMs(reset: number, now: number): number {
  if (reset > 1e12) return reset;
  if (reset > 1e9) return reset * 1000;
  return now + reset * 1000;
}

/** Error codes are short constants; anything else is not shown. */
function safeCode(code: string): string {
  return /^[A-Z0-9_]{2,40}$/.test(code) ? code : "network error";
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

function numberHeader(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

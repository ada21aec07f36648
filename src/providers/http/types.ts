// The contract of the vendor HTTP layer shared by every adapter. Implementation:
// vendor-http-client.ts (undici pool per origin, p-retry for reads, redaction, ProviderError).

import type { Readable } from "node:stream";
import type { ZodType } from "zod";

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** Epoch ms when the window resets, when the vendor said. */
  resetAtMs?: number;
}

export interface VendorHttpClientOptions {
  /** Provider id, used in error messages ("pyannote answered 429 …"). */
  provider: string;
  baseUrl: string;
  /** Auth headers for requests to the base URL's origin only; never sent to another origin. */
  authHeaders: () => Record<string, string>;
  /** Strings that must never appear in logs, errors or results (API keys, secrets). */
  secrets: readonly string[];
  /**
   * The environment variable that holds the key ("PYANNOTEAI_API_KEY"), named in the hint of
   * a 401/403 error. Optional; without it the hint says "check the API key".
   */
  apiKeyEnv?: string;
  timeouts?: {
    connectMs?: number;
    headersMs?: number;
    bodyMs?: number;
    /** Overall deadline of one call, all retries included. */
    totalMs?: number;
  };
  retry?: {
    /** Retries after the first attempt, for retryable requests. */
    retries?: number;
    minDelayMs?: number;
    maxDelayMs?: number;
    /** A Retry-After longer than this is capped to it. */
    maxRetryAfterMs?: number;
  };
  /** Shared request budget (e.g. pyannoteAI: 100/min for polling and tool calls alike). */
  budget?: RequestBudget;
  /** Told the vendor's rate-limit headers after every response that carries them. */
  onRateLimit?: (info: RateLimitInfo) => void;
}

export interface VendorRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "HEAD";
  /** Path relative to the base URL ("/v1/jobs/abc"), or an absolute URL (presigned uploads). */
  path: string;
  query?: Record<string, string | number | boolean | undefined | readonly string[]>;
  /** JSON body (sets Content-Type). */
  json?: unknown;
  /** Raw body: bytes, a FormData (multipart) or a stream (uploads). */
  body?: Uint8Array | FormData | Readable;
  headers?: Record<string, string>;
  /**
   * Whether the request may be sent again after a failure. Default: true for GET/HEAD,
   * false otherwise. A POST that starts paid work is never re-sent once its bytes may have
   * reached the vendor; it may be retried only when the connection was never made.
   */
  idempotent?: boolean;
  /** Send the auth headers (default true; always false for another origin). */
  auth?: boolean;
  signal?: AbortSignal;
  /** Largest body we accept, in bytes (default 256 MiB). */
  maxBodyBytes?: number;
}

export interface VendorResponse<T> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

export interface VendorHttpClient {
  /** JSON response parsed with a tolerant zod schema. Malformed JSON → ProviderError. */
  json<T>(request: VendorRequest, schema: ZodType<T>): Promise<VendorResponse<T>>;
  /** Raw bytes (artifacts, NDJSON pages). */
  bytes(request: VendorRequest): Promise<VendorResponse<Buffer>>;
  /** Streamed body; the caller must consume it or call `cancel`. */
  stream(request: VendorRequest): Promise<VendorResponse<AsyncIterable<Uint8Array>> & { cancel(): Promise<void> }>;
  close(): Promise<void>;
}

/** Which lane a request is in, and until when its caller waits (see request-budget.ts). */
export interface RequestBudgetTake {
  lane?: "interactive" | "background";
  /** Epoch ms (the budget's clock) after which waiting for a slot is no use to the caller. */
  deadlineAt?: number;
  /** Background work that waits for a background slot instead of deferring at once. */
  patient?: boolean;
}

/** A sliding-window request budget shared by the poller and tool calls. */
export interface RequestBudget {
  /**
   * Waits until a request may be sent (or the signal aborts). Throws RequestBudgetError when
   * no slot comes before `deadlineAt`, and at once for background requests without a slot.
   */
  take(signal?: AbortSignal, request?: RequestBudgetTake): Promise<void>;
  /** Requests that may be sent now without waiting (in the given lane; default interactive). */
  available(lane?: "interactive" | "background"): number;
  /** Adopt what the vendor says about its window (X-RateLimit-Remaining / Reset, 429s). */
  observe(info: RateLimitInfo & { retryAfterMs?: number }): void;
  /** Requests per minute background polling may use (the window less the interactive reserve). */
  backgroundPerMinute?(): number;
}

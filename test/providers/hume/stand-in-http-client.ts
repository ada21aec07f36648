// A minimal VendorHttpClient on fetch, used only until src/providers/http/vendor-http-client.ts
// lands: no retries, no pools. It follows the contract in src/providers/http/types.ts closely
// enough for adapter tests (auth headers, query arrays, JSON/FormData bodies, ProviderError).

import { ProviderError } from "../../../src/errors.js";
import type { VendorHttpClient, VendorHttpClientOptions, VendorRequest } from "../../../src/providers/http/types.js";

export function createStandInHttpClient(options: VendorHttpClientOptions): VendorHttpClient {
  async function send(request: VendorRequest): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const url = new URL(request.path, options.baseUrl.endsWith("/") ? options.baseUrl : options.baseUrl + "/");
    if (!/^https?:/.test(request.path)) url.pathname = new URL(options.baseUrl).pathname.replace(/\/$/, "") + request.path;
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
      else url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { ...(request.headers ?? {}), ...(request.auth === false ? {} : options.authHeaders()) };
    let body: string | FormData | Uint8Array | undefined;
    if (request.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(request.json);
    } else if (request.body instanceof FormData || request.body instanceof Uint8Array) body = request.body;
    let response: Response;
    try {
      response = await fetch(url, { method: request.method, headers, body, signal: request.signal });
    } catch (error) {
      throw new ProviderError(`${options.provider} could not be reached`, { provider: options.provider, retryable: true }, { cause: error });
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!response.ok) {
      throw new ProviderError(`${options.provider} answered ${response.status}`, {
        provider: options.provider,
        status: response.status,
        retryable: response.status === 429 || response.status >= 500,
      });
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), body: bytes };
  }
  return {
    async json(request, schema) {
      const response = await send(request);
      const parsed = schema.safeParse(JSON.parse(response.body.toString("utf8")));
      if (!parsed.success) throw new ProviderError(`${options.provider} answered in an unexpected shape`, { provider: options.provider, retryable: false });
      return { ...response, body: parsed.data };
    },
    bytes: (request) => send(request),
    async stream() {
      throw new Error("stream() is not part of the stand-in client");
    },
    async close() {},
  };
}

// Downloads a public https URL to a temporary file for the local analyzer: public addresses
// only, checked when the connection is made (so DNS rebinding between check and connect
// cannot slip through) and on every redirect; capped in size; partial files removed.

import dns from "node:dns";
import fs from "node:fs";
import fsp from "node:fs/promises";
import type { LookupAddress } from "node:dns";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Agent, request as undiciRequest, type Dispatcher } from "undici";
import { UserInputError } from "../../errors.js";
import { isPublicAddress, parseHostAsIp } from "../../security/public-address.js";
import type { MediaDownloader } from "../provider.js";
import { discardBody, errorCode } from "./body-and-errors.js";

const MAX_REDIRECTS = 5;

export interface MediaDownloaderOptions {
  /** Lets tests download from loopback fakes; never set in production. */
  allowPrivate: boolean;
  timeoutMs: number;
  tempDir?: string;
  /** Resolver, injectable so the address policy can be tested without public DNS. */
  lookup?: typeof dns.lookup;
  /** Which resolved addresses may be reached (default: public unicast only); for tests. */
  isAllowedAddress?: (address: string) => boolean;
  /** Plain http besides https; tests only. */
  allowHttp?: boolean;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function createMediaDownloader(options: MediaDownloaderOptions): MediaDownloader {
  const resolve = options.lookup ?? dns.lookup;
  const allowed = (address: string) => options.allowPrivate || (options.isAllowedAddress ?? isPublicAddress)(address);
  // Checked at connect time: the address the socket really uses is the one we vetted.
  const guardedLookup = (hostname: string, lookupOptions: dns.LookupOptions, callback: LookupCallback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const blocked = list.find((entry) => !allowed(entry.address));
      if (blocked) {
        const refusal = Object.assign(new Error(`${hostname} resolves to a private address (${blocked.address})`), {
          code: "EPRIVATEADDRESS",
          refusedAddress: blocked.address,
        });
        return callback(refusal, []);
      }
      if (lookupOptions.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), []);
      callback(null, first.address, first.family);
    });
  };
  const agent = new Agent({
    connect: { timeout: 10_000, lookup: guardedLookup as never },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });

  const checkUrl = (url: URL) => {
    if (url.protocol !== "https:" && !((options.allowPrivate || options.allowHttp) && url.protocol === "http:")) {
      throw new UserInputError(`only https URLs can be downloaded; got ${url.protocol.replace(":", "")}://`);
    }
    if (url.username || url.password) throw new UserInputError("URLs with credentials are not downloaded");
    const ip = parseHostAsIp(url.hostname);
    if (ip && !allowed(ip)) {
      throw new UserInputError(`the URL points to a private address (${ip}); only public https URLs can be downloaded`);
    }
  };

  const describeFailure = (url: URL, error: unknown, deadline: AbortSignal): UserInputError => {
    const refusal = findRefusal(error);
    if (refusal) {
      return new UserInputError(`${url.hostname} resolves to a private address (${refusal}); only public https URLs can be downloaded`);
    }
    if (deadline.aborted) return new UserInputError(`the download from ${url.hostname} took longer than ${formatLimit(options.timeoutMs)}; try a smaller file or a faster host`);
    const code = errorCode(error);
    return new UserInputError(`could not download from ${url.hostname} (${/^[A-Z0-9_]{2,40}$/.test(code) ? code : "network error"})`);
  };

  return {
    async download(rawUrl, { maxBytes, signal }) {
      let url: URL;
      try {
        url = new URL(rawUrl);
      } catch {
        throw new UserInputError(`not a URL: ${rawUrl.slice(0, 100)}`);
      }
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
      for (let hop = 0; ; hop++) {
        // Every hop is checked: scheme and IP literals here, resolved names when connecting.
        checkUrl(url);
        let response: Dispatcher.ResponseData;
        try {
          response = await undiciRequest(url, { method: "GET", dispatcher: agent, signal: combined, headers: { accept: "*/*" } });
        } catch (error) {
          throw describeFailure(url, error, deadline);
        }
        const location = response.headers.location;
        if (response.statusCode >= 300 && response.statusCode < 400 && location) {
          await response.body.dump().catch(() => undefined);
          if (hop >= MAX_REDIRECTS) throw new UserInputError(`too many redirects downloading ${rawUrl.slice(0, 100)}`);
          try {
            url = new URL(Array.isArray(location) ? location[0]! : location, url);
          } catch {
            throw new UserInputError(`${url.hostname} redirected to something that is not a URL`);
          }
          continue;
        }
        if (response.statusCode !== 200) {
          await response.body.dump().catch(() => undefined);
          throw new UserInputError(`the download from ${url.hostname}${url.pathname.slice(0, 100)} failed with HTTP ${response.statusCode}`);
        }
        const declared = Number(response.headers["content-length"]);
        if (Number.isFinite(declared) && declared > maxBytes) {
          discardBody(response.body);
          throw new UserInputError(`the file is ${declared} bytes, over the ${maxBytes}-byte download limit (MEDIA_JOBS_MAX_DOWNLOAD_MB)`);
        }
        // The real path (macOS's tmpdir is behind a link): the analyzer refuses paths that resolve elsewhere.
        const dir = await fsp.realpath(await fsp.mkdtemp(path.join(options.tempDir ?? os.tmpdir(), "media-jobs-dl-")));
        const name = path.basename(url.pathname).replace(/[^A-Za-z0-9._-]/g, "_").slice(-100) || "download";
        const filePath = path.join(dir, `${randomUUID().slice(0, 8)}-${name}`);
        const cleanup = () => fsp.rm(dir, { recursive: true, force: true });
        let bytes = 0;
        let overCap = false;
        // Bytes are counted as they arrive, whatever Content-Length said (or did not say).
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bytes += chunk.length;
            if (bytes > maxBytes) {
              overCap = true;
              return callback(new Error("over the download limit"));
            }
            callback(null, chunk);
          },
        });
        try {
          await pipeline(response.body, counter, fs.createWriteStream(filePath));
        } catch (error) {
          discardBody(response.body);
          await cleanup();
          if (overCap) throw new UserInputError(`the file is over the ${maxBytes}-byte download limit (MEDIA_JOBS_MAX_DOWNLOAD_MB)`);
          if (deadline.aborted) throw describeFailure(url, error, deadline);
          if (signal?.aborted) throw new UserInputError("the download was cancelled");
          throw new UserInputError(`the download from ${url.hostname} broke off; try again`);
        }
        const contentType = response.headers["content-type"];
        return {
          path: filePath,
          bytes,
          contentType: Array.isArray(contentType) ? contentType[0] : contentType,
          cleanup,
        };
      }
    },
  };
}

/** The refused address, when a connect failed because our lookup refused it. */
function findRefusal(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const candidate = current as { code?: unknown; refusedAddress?: unknown; message?: unknown };
    if (candidate.code === "EPRIVATEADDRESS") return typeof candidate.refusedAddress === "string" ? candidate.refusedAddress : "not public";
  }
  return undefined;
}

function formatLimit(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 1_000)} s`;
}

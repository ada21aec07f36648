// AdapterDeps for the local adapter's tests: the shared test deps with a fake downloader that
// serves files from a map of URLs, and an HTTP client factory that fails if the analyzer ever calls out.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AdapterDeps, ResultSink } from "../../../src/providers/provider.js";
import { testAdapterDeps } from "../../support/adapter-deps.js";

export interface FakeDeps extends AdapterDeps {
  logs: string[];
  downloads: string[];
  removed: string[];
}

export function fakeDeps(urls: Record<string, string> = {}): FakeDeps {
  const logs: string[] = [];
  const downloads: string[] = [];
  const removed: string[] = [];
  const deps = testAdapterDeps(
    { MEDIA_JOBS_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "mjm-local-data-")) },
    {
      logLines: logs,
      downloader: {
        async download(url, options) {
          downloads.push(url);
          const source = urls[url];
          if (!source) throw new Error(`fake downloader has no ${url}`);
          const bytes = fs.statSync(source).size;
          if (bytes > options.maxBytes) throw new Error("too large");
          const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mjm-dl-")), "download.bin");
          fs.copyFileSync(source, target);
          return {
            path: target,
            bytes,
            async cleanup() {
              removed.push(target);
              fs.rmSync(path.dirname(target), { recursive: true, force: true });
            },
          };
        },
      },
      createHttpClient() {
        throw new Error("the local analyzer must not make vendor HTTP calls");
      },
    },
  );
  return { ...deps, logs, downloads, removed };
}

export function fakeSink(): ResultSink & { parts: Map<string, { data: string; contentType: string }> } {
  const parts = new Map<string, { data: string; contentType: string }>();
  const text = (data: Uint8Array | string) => (typeof data === "string" ? data : Buffer.from(data).toString("utf8"));
  return {
    parts,
    async putPart(name, data, contentType) {
      parts.set(name, { data: text(data), contentType });
    },
    async appendPart(name, data, contentType) {
      parts.set(name, { data: (parts.get(name)?.data ?? "") + text(data), contentType });
    },
  };
}

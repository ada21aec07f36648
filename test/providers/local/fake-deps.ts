// AdapterDeps for the local adapter's tests: real config and logger, a fake downloader that
// serves files from a map of URLs, and stubs for what the local analyzer never uses.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../../src/config.js";
import { createLogger } from "../../../src/logger.js";
import type { AdapterDeps, ResultSink } from "../../../src/providers/provider.js";

export interface FakeDeps extends AdapterDeps {
  logs: string[];
  downloads: string[];
  removed: string[];
}

export function fakeDeps(urls: Record<string, string> = {}): FakeDeps {
  const logs: string[] = [];
  const downloads: string[] = [];
  const removed: string[] = [];
  return {
    logs,
    downloads,
    removed,
    config: loadConfig({ MEDIA_JOBS_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "mjm-local-data-")) }),
    logger: createLogger({ level: "debug", secrets: [], write: (line) => logs.push(line) }),
    voiceprints: { put() {}, get: () => undefined, list: () => [], delete: () => false },
    replayGuard: { firstSeen: () => true },
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
  };
}

export function fakeSink(): ResultSink & { parts: Map<string, { data: string; contentType: string }> } {
  const parts = new Map<string, { data: string; contentType: string }>();
  const text = (data: Uint8Array | string) => (typeof data === "string" ? data : Buffer.from(data).toString("utf8"));
  return {
    parts,
    putPart(name, data, contentType) {
      parts.set(name, { data: text(data), contentType });
    },
    appendPart(name, data, contentType) {
      parts.set(name, { data: (parts.get(name)?.data ?? "") + text(data), contentType });
    },
  };
}

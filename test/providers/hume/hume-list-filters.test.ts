import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import { createLogger } from "../../../src/logger.js";
import { createVendorHttpClient } from "../../../src/providers/http/vendor-http-client.js";
import { createHumeAdapter } from "../../../src/providers/hume/hume-adapter.js";
import type { ProviderAdapter } from "../../../src/providers/provider.js";
import { startHumeFake, type HumeFake } from "../../fakes/hume-fake.js";

let fake: HumeFake | undefined;
let adapter: ProviderAdapter | undefined;
afterEach(async () => {
  await adapter?.close?.();
  await fake?.close();
});

describe("Hume remote listing with time filters", () => {
  it("names the env var to check when the key is refused", async () => {
    fake = await startHumeFake();
    adapter = createHumeAdapter({
      config: loadConfig({ HUME_API_KEY: "wrong-key-123456", HUME_BASE_URL: fake.baseUrl }),
      logger: createLogger({ level: "error", secrets: ["wrong-key-123456"], write: () => undefined }),
      voiceprints: { put: async () => undefined, get: async () => undefined, list: async () => [], delete: async () => false },
      replayGuard: { firstSeen: async () => true },
      downloader: { download: () => Promise.reject(new Error("unused")) },
      createHttpClient: createVendorHttpClient,
    });
    const error = await adapter.list!({ limit: 5 }, {}).catch((caught: Error) => caught);
    expect((error as Error).message).toMatch(/answered 401.*HUME_API_KEY/);
    expect((error as Error).message).not.toContain("wrong-key-123456");
    await adapter.close?.();
    await fake.close();
    fake = undefined;
    adapter = undefined;
  });

  it("sends created_after to Hume and pages with created_before, never past the bound", async () => {
    fake = await startHumeFake();
    adapter = createHumeAdapter({
      config: loadConfig({ HUME_API_KEY: fake.apiKey, HUME_BASE_URL: fake.baseUrl }),
      logger: createLogger({ level: "error", secrets: [fake.apiKey], write: () => undefined }),
      voiceprints: { put: async () => undefined, get: async () => undefined, list: async () => [], delete: async () => false },
      replayGuard: { firstSeen: async () => true },
      downloader: { download: () => Promise.reject(new Error("unused")) },
      createHttpClient: createVendorHttpClient,
    });
    const starts: string[] = [];
    for (let index = 0; index < 5; index++) {
      starts.push((await adapter.start({ task: "expression", media: [{ kind: "url", url: `https://m.example.com/${index}.mp4` }], options: {} }, {})).nativeId);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const jobs = await Promise.all(starts.map((id) => adapter!.get(id, undefined, {})));
    const cutoff = jobs[2]!.createdAt!;

    const page = await adapter.list!({ limit: 10, createdAfter: cutoff }, {});
    const request = fake.server.requestsTo("GET", "/v0/batch/jobs").filter((entry) => entry.path === "/v0/batch/jobs").at(-1)!;
    expect(request.query.get("when")).toBe("created_after");
    expect(page.items.every((item) => Date.parse(item.createdAt!) >= Date.parse(cutoff))).toBe(true);
    expect(page.items.map((item) => item.nativeId)).toEqual(expect.arrayContaining([starts[3], starts[4]]));
    expect(page.items.map((item) => item.nativeId)).not.toContain(starts[0]);

    const before = await adapter.list!({ limit: 10, createdBefore: cutoff }, {});
    expect(before.items.map((item) => item.nativeId).sort()).toEqual([starts[0], starts[1]].sort());
  });
});

// A catalog of thousands of tracks inline is a message of megabytes (10,000 items ≈ 11.5 MB,
// over the 4 MiB limit); a local NDJSON catalog file given as the only {path} item is a few
// bytes, and its lines become the job's items.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createHumanStandardAdapter } from "../../../src/providers/humanstandard/humanstandard-adapter.js";
import type { ProviderAdapter } from "../../../src/providers/provider.js";
import { startHumanStandardFake, type HumanStandardFake } from "../../fakes/humanstandard-fake.js";
import { testAdapterDeps } from "../../support/adapter-deps.js";

const opened: Array<{ fake: HumanStandardFake; adapter: ProviderAdapter; dir: string }> = [];
afterEach(async () => {
  for (const { fake, adapter, dir } of opened.splice(0)) {
    await adapter.close?.();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function setup() {
  const fake = await startHumanStandardFake();
  const deps = testAdapterDeps({ HUMANSTANDARD_API_KEY: fake.apiKey, HUMANSTANDARD_BASE_URL: fake.baseUrl }, { logLevel: "error" });
  const adapter = createHumanStandardAdapter(deps);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-hs-catalog-"));
  opened.push({ fake, adapter, dir });
  return { fake, adapter, dir };
}

function catalogFile(dir: string, name: string, text: string) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return { kind: "path" as const, path: file, name, bytes: fs.statSync(file).size };
}

describe("HumanStandard local NDJSON catalog", () => {
  it("sends a 10,000-line catalog file's lines as the job's items", async () => {
    const { fake, adapter, dir } = await setup();
    const lines = Array.from({ length: 10_000 }, (_, index) => JSON.stringify({ item_id: `t${index}`, url: `https://cdn.example/catalog/${index}-song.mp3` }));
    const file = catalogFile(dir, "catalog.ndjson", lines.join("\n") + "\n\n");
    await adapter.start({ task: "provenance", media: [file], options: {} }, {});
    const submitted = fake.server.requests.find((request) => request.method === "POST" && request.path === "/jobs")!.json as { items: Array<{ item_id: string; url: string }> };
    expect(submitted.items).toHaveLength(10_000);
    expect(submitted.items[9_999]).toEqual({ item_id: "t9999", url: "https://cdn.example/catalog/9999-song.mp3" });
  });

  it("refuses a malformed line, a non-https url and more than 10,000 lines, naming what to fix", async () => {
    const { adapter, dir } = await setup();
    const start = (text: string) => adapter.start({ task: "provenance", media: [catalogFile(dir, "bad.ndjson", text)], options: {} }, {});
    await expect(start('{"item_id":"a","url":"https://x.example/a.mp3"}\nnot json\n')).rejects.toThrow("bad.ndjson line 2 is not JSON");
    await expect(start('{"item_id":"a","url":"http://x.example/a.mp3"}\n')).rejects.toThrow(/needs https URLs/);
    const tooMany = Array.from({ length: 10_001 }, (_, index) => JSON.stringify({ url: `https://x.example/${index}.mp3` })).join("\n");
    await expect(start(tooMany)).rejects.toThrow(/at most 10,000 items per job/);
  });
});

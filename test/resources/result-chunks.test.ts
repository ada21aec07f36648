// A large stored result read through the real SDK client: no message the server sends is near
// the 10 MiB the SDK's stdio client accepts (ReadBuffer), and the chunks the result lists
// reassemble, byte for byte, to what the vendor returned.

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallToolResult, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { chunkCount, chunkOf, RESULT_CHUNK_BYTES } from "../../src/resources/result-chunks.js";
import { createHumeAdapter } from "../../src/providers/hume/hume-adapter.js";
import { buildHumeIndex } from "../../src/providers/hume/hume-index.js";
import { generateHumePredictions, oneHourVideoSpec } from "../../src/providers/hume/hume-payload-generator.js";
import { testAdapterDeps } from "../support/adapter-deps.js";
import { startInMemoryApp, textOf, type InMemoryApp } from "../support/in-memory-app.js";

/** What the SDK's stdio client accepts in one message (ReadBuffer's maximum). */
const CLIENT_MESSAGE_LIMIT = 10 * 1024 * 1024;
const JOB_ID = "hume:big-job";

let running: InMemoryApp;
let largest = 0;
let predictionsJson: string;
let artifacts: Buffer;

beforeAll(async () => {
  running = await startInMemoryApp([createHumeAdapter(testAdapterDeps({ HUME_API_KEY: "hume-key" }))], {
    env: { HUME_API_KEY: "hume-key" },
    startPoller: false,
    onServerMessage: (message: JSONRPCMessage) => {
      largest = Math.max(largest, Buffer.byteLength(JSON.stringify(message)));
    },
  });
  // 20 minutes of video at 3 fps with prosody, bursts, word-level language and entities:
  // well over the client's limit in one piece. Arabic entity text makes chunk cuts land inside
  // multibyte characters.
  const spec = oneHourVideoSpec().map((file) => ({ ...file, durationS: 1_200 }));
  const payload = generateHumePredictions(spec);
  predictionsJson = JSON.stringify(payload).replace(/"Paris"/g, '"باريس"');
  artifacts = randomBytes(Math.round(RESULT_CHUNK_BYTES * 2.5));
  expect(Buffer.byteLength(predictionsJson)).toBeGreaterThan(CLIENT_MESSAGE_LIMIT);
  expect(predictionsJson).toContain("باريس");
  await running.app.store.insertJob({
    id: JOB_ID,
    provider: "hume",
    nativeId: "big-job",
    task: "expression",
    status: "succeeded",
    inputs: [{ kind: "url", url: "https://media.example.com/all-hands.mp4" }],
    options: {},
    createdAt: "2026-03-01T10:00:00Z",
    updatedAt: "2026-03-01T10:30:00Z",
    resultState: "stored",
    pollCount: 4,
  });
  await running.app.store.putResultPart(JOB_ID, "predictions.json", Buffer.from(predictionsJson), "application/json");
  await running.app.store.putResultPart(JOB_ID, "artifacts.zip", artifacts, "application/zip");
  await running.app.store.putResultIndex(JOB_ID, JSON.parse(JSON.stringify(buildHumeIndex(JSON.parse(predictionsJson)))), "1 file");
}, 120_000);
afterAll(async () => running?.close());

interface Listing {
  note: string;
  parts: Array<{ part: string; mime_type: string; bytes: number; chunks: string[] }>;
}

describe("the full-result resource of a large job", () => {
  it("lists chunk URIs instead of sending the result whole, and the chunks reassemble to it", async () => {
    largest = 0;
    const read = await running.client.readResource({ uri: `media-jobs://jobs/${JOB_ID}/result` });
    const listing = JSON.parse((read.contents[0] as { text: string }).text) as Listing;
    expect(listing.note).toMatch(/read each chunk URI in order and concatenate/);
    expect(listing.parts.map((part) => part.part).sort()).toEqual(["artifacts.zip", "predictions.json"]);

    const text = listing.parts.find((part) => part.part === "predictions.json")!;
    expect(text.chunks.length).toBe(Math.ceil(Buffer.byteLength(predictionsJson) / RESULT_CHUNK_BYTES));
    let joined = "";
    for (const uri of text.chunks) {
      const chunk = await running.client.readResource({ uri });
      joined += (chunk.contents[0] as { text: string }).text;
    }
    expect(joined.length).toBe(predictionsJson.length);
    expect(joined === predictionsJson).toBe(true);

    const binary = listing.parts.find((part) => part.part === "artifacts.zip")!;
    expect(binary.chunks).toHaveLength(3);
    const pieces: Buffer[] = [];
    for (const uri of binary.chunks) {
      const chunk = await running.client.readResource({ uri });
      pieces.push(Buffer.from((chunk.contents[0] as { blob: string }).blob, "base64"));
    }
    expect(Buffer.concat(pieces).equals(artifacts)).toBe(true);
    // No message came near what a client accepts.
    expect(largest).toBeGreaterThan(RESULT_CHUNK_BYTES);
    expect(largest).toBeLessThan(3 * 1024 * 1024);
  }, 120_000);

  it("answers a large part's own URI with its chunk list, and an unknown chunk with a clear error", async () => {
    largest = 0;
    const read = await running.client.readResource({ uri: `media-jobs://jobs/${JOB_ID}/parts/predictions.json` });
    const listing = JSON.parse((read.contents[0] as { text: string }).text) as { chunks: string[]; bytes: number };
    expect(listing.bytes).toBe(Buffer.byteLength(predictionsJson));
    expect(listing.chunks[0]).toBe(`media-jobs://jobs/${JOB_ID}/parts/predictions.json/chunks/0`);
    expect(largest).toBeLessThan(64 * 1024);
    await expect(running.client.readResource({ uri: `media-jobs://jobs/${JOB_ID}/parts/predictions.json/chunks/${listing.chunks.length}` })).rejects.toThrow(
      /has chunks 0–\d+; no chunk/,
    );
  });

  it("says so where the result is linked: resource list descriptions and get_predictions", async () => {
    const { resources } = await running.client.listResources();
    const result = resources.find((resource) => resource.uri === `media-jobs://jobs/${JOB_ID}/result`)!;
    expect(result.description).toMatch(/MB, read in \d+ chunks of ≤ 1 MiB: reading it lists the chunk URIs/);
    const part = resources.find((resource) => resource.uri === `media-jobs://jobs/${JOB_ID}/parts/predictions.json`)!;
    expect(part.description).toMatch(/read in \d+ chunks/);
    const answer = (await running.client.callTool({ name: "get_predictions", arguments: { job_id: JOB_ID, max_tokens: 4_000 } })) as CallToolResult;
    expect(answer.isError, textOf(answer)).toBeFalsy();
    expect(textOf(answer)).toMatch(new RegExp(`full result: media-jobs://jobs/${JOB_ID}/result \\(\\d+\\.\\d MB, read in \\d+ chunks of ≤ 1 MiB; reading it lists the chunk URIs\\)`));
  });
});

describe("chunking", () => {
  it("cuts text only at character boundaries, whatever the character widths, and loses nothing", () => {
    for (const unit of ["a", "é", "ب", "€", "𝄞", "aé€𝄞ب"]) {
      const text = unit.repeat(Math.ceil((RESULT_CHUNK_BYTES * 2.3) / Buffer.byteLength(unit)));
      const data = Buffer.from(text);
      const chunks = Array.from({ length: chunkCount(data.length) }, (_, index) => chunkOf(data, index, true)!);
      for (const chunk of chunks) {
        expect(chunk.length).toBeLessThanOrEqual(RESULT_CHUNK_BYTES + 3);
        // Valid UTF-8 on its own: decoding and encoding gives the same bytes.
        expect(Buffer.from(chunk.toString("utf8")).equals(chunk)).toBe(true);
      }
      expect(chunks.map((chunk) => chunk.toString("utf8")).join("")).toBe(text);
      expect(chunkOf(data, chunks.length, true)).toBeUndefined();
    }
  });
});

import { describe, expect, it } from "vitest";
import type { Job } from "../../../src/jobs/job.js";
import { condenseHumanStandard } from "../../../src/providers/humanstandard/humanstandard-condense.js";
import { createLineSplitter, createProvenanceIndexBuilder } from "../../../src/providers/humanstandard/humanstandard-results-index.js";
import { seededRandom } from "../../../src/providers/hume/hume-payload-generator.js";

const record = (itemId: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    item_id: itemId,
    status: "success",
    verdict: "human",
    tier_verdicts: { press_safe: "human", human_safe: "human", recall: "human" },
    scores: { truth_score: 0.1, reliability: 0.9 },
    origin: "human",
    origin_confidence: 0.8,
    metadata: {},
    ...fields,
  });

const ndjson = [
  record("a", { verdict: "suspicious", scores: { truth_score: 0.91, reliability: 0.5 }, origin: "suno", metadata: { title: "أغنية الصيف", artist: "فرقة" } }),
  record("b"),
  record("c", { status: "failed", verdict: null, scores: null, origin: null, error: "download_timeout: slow\nserver" }),
  record("d", { verdict: null, scores: { truth_score: 0.5, reliability: 0.7 }, origin: "unknown" }),
  record("e", { verdict: "suspicious", scores: { truth_score: 0.97, reliability: 0.95 }, origin: "udio" }),
].join("\n") + "\n";

function buildFromChunks(chunks: Uint8Array[]) {
  const builder = createProvenanceIndexBuilder();
  const splitter = createLineSplitter((line) => builder.addLine(line), () => builder.countMalformed());
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return builder.finish();
}

describe("provenance index built while streaming NDJSON", () => {
  it("gives the same index wherever the chunk boundaries fall, even inside a multibyte character", () => {
    const bytes = Buffer.from(ndjson, "utf8");
    const whole = buildFromChunks([bytes]);
    expect(whole.records).toBe(5);
    for (let cut = 1; cut < bytes.length; cut++) {
      const split = buildFromChunks([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(split).toEqual(whole);
    }
    const byteByByte = buildFromChunks([...bytes].map((byte) => Uint8Array.of(byte)));
    expect(byteByByte).toEqual(whole);
  });

  it("counts verdicts and origins, orders tracks most suspicious first and keeps failures with reasons", () => {
    const index = buildFromChunks([Buffer.from(ndjson)]);
    expect(index.verdicts).toEqual({ human: 1, suspicious: 2, failed: 1, unknown: 1 });
    expect(index.origins).toEqual({ human: 1, suno: 1, udio: 1, unknown: 1 });
    expect(index.tracks.id).toEqual(["e", "a", "d", "b"]);
    expect(index.tracks.truth).toEqual([0.97, 0.91, 0.5, 0.1]);
    expect(index.tracks.verdict).toBe("ssuh");
    expect(index.tracks.tiers.slice(3, 6)).toBe("hhh");
    expect(index.tracks.meta).toEqual({ "1": ["أغنية الصيف", "فرقة"] });
    expect(index.lowReliability).toBe(1);
    expect(index.failed.id).toEqual(["c"]);
    expect(index.reasons[index.failed.reason[0]!]).toBe("download_timeout: slow server");
  });

  it("tolerates a malformed line, a record without item_id, a last line without newline and a repeated item", () => {
    const text = ndjson + '{"item_id": "f", "status": "succ\n' + '{"status":"success"}\n\n' + record("b") + "\n" + record("g");
    const index = buildFromChunks([Buffer.from(text)]);
    expect(index.malformedLines).toBe(2);
    expect(index.duplicateItems).toBe(1);
    expect(index.records).toBe(6);
    expect(index.tracks.id).toContain("g");
  });

  it("skips an absurdly long line instead of buffering it", () => {
    const huge = Buffer.alloc(1_100_000, 0x61);
    const index = buildFromChunks([Buffer.from(record("x") + "\n"), huge, huge, Buffer.from("\n" + record("y") + "\n")]);
    expect(index.malformedLines).toBe(1);
    expect(index.tracks.id.sort()).toEqual(["x", "y"]);
  });

  it("ranks the most suspicious on exact scores, near ties included, and prints them rounded", () => {
    // Scores that differ only past the 3rd decimal, with item ids in the opposite order, so a
    // rank on rounded scores would fall back to id order and get it wrong.
    const random = seededRandom(47);
    const scores = Array.from({ length: 200 }, (_, position) => 0.985 + Math.floor(random() * 100) / 10_000 + position * 1e-7);
    const builder = createProvenanceIndexBuilder();
    scores.forEach((score, position) =>
      builder.addLine(record(`track-${String(999 - position).padStart(4, "0")}`, { verdict: "suspicious", scores: { truth_score: score, reliability: 0.9 }, origin: "suno" })),
    );
    const index = builder.finish();
    const exact = scores
      .map((score, position) => ({ id: `track-${String(999 - position).padStart(4, "0")}`, score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    expect(index.tracks.id).toEqual(exact.map((track) => track.id));
    // Stored (and printed) rounded.
    expect(index.tracks.truth.every((value) => value !== null && Math.round(value * 1000) === value * 1000)).toBe(true);

    const job = { id: "humanstandard:j", provider: "humanstandard", nativeId: "j", task: "provenance", status: "succeeded", inputs: [], options: {}, createdAt: "t", updatedAt: "t", resultState: "stored", pollCount: 1 } as Job;
    const view = condenseHumanStandard(job, JSON.parse(JSON.stringify(index)), { top_k: 5 });
    const line = view.summary.find((entry) => entry.startsWith("Most suspicious: "))!;
    expect([...line.matchAll(/track-\d{4}/g)].map((match) => match[0])).toEqual(exact.slice(0, 5).map((track) => track.id));
    expect(line).toMatch(/track-\d{4} \(0\.99 suno/);
  });
});

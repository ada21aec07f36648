// Condensed views of recorded-shape pyannoteAI outputs (test/fixtures/pyannote/), served by the
// fake and read through the adapter's public contract. Expected talk times and overlaps are
// computed here from the fixture itself, on a 10 ms grid, not with the adapter's helpers.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.js";
import type { CondensedView } from "../../../src/condense/view.js";
import type { Job, TaskId } from "../../../src/jobs/job.js";
import { createLogger } from "../../../src/logger.js";
import { createVendorHttpClient } from "../../../src/providers/http/vendor-http-client.js";
import type { ProviderAdapter } from "../../../src/providers/provider.js";
import { createPyannoteAdapter } from "../../../src/providers/pyannote/pyannote-adapter.js";
import { startPyannoteFake, type PyannoteFake } from "../../fakes/pyannote-fake.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/pyannote");

interface FixtureSegment {
  speaker: string;
  start: number;
  end: number;
}

function fixture(name: string): { jobId: string; output: { diarization: FixtureSegment[]; identification?: Array<FixtureSegment & { match: string | null }> } } {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));
}

/** Seconds each speaker talks and seconds with two or more speakers at once, inside [from, to]. */
function groundTruth(segments: readonly FixtureSegment[], from = 0, to = Infinity) {
  const end = Math.min(to, Math.max(...segments.map((segment) => segment.end)));
  const talk = new Map<string, number>();
  let overlap = 0;
  for (let tick = Math.round(from * 100); tick < Math.round(end * 100); tick++) {
    const middle = (tick + 0.5) / 100;
    const active = new Set(segments.filter((segment) => segment.start <= middle && middle < segment.end).map((segment) => segment.speaker));
    for (const speaker of active) talk.set(speaker, (talk.get(speaker) ?? 0) + 0.01);
    if (active.size >= 2) overlap += 0.01;
  }
  return { talk, overlap };
}

let fake: PyannoteFake | undefined;
let adapter: ProviderAdapter | undefined;
afterEach(async () => {
  await adapter?.close?.();
  fake?.server.assertAllHandled();
  await fake?.close();
  fake = undefined;
  adapter = undefined;
});

/** Serves the fixture as the vendor's GET /v1/jobs/{id} answer and fetches it like a finished job. */
async function fetchedFixture(name: string, task: TaskId, options: Record<string, unknown> = {}) {
  fake = await startPyannoteFake();
  adapter = createPyannoteAdapter({
    config: loadConfig({ PYANNOTEAI_API_KEY: fake.apiKey, PYANNOTEAI_BASE_URL: fake.baseUrl }),
    logger: createLogger({ level: "error", secrets: [fake.apiKey], write: () => undefined }),
    voiceprints: { put: async () => undefined, get: async () => undefined, list: async () => [], delete: async () => false },
    replayGuard: { firstSeen: async () => true },
    downloader: { download: () => Promise.reject(new Error("unused")) },
    createHttpClient: createVendorHttpClient,
  });
  const recorded = fixture(name);
  fake.server.injectFault({ kind: "status", status: 200, body: recorded }, { method: "GET", pathPrefix: "/v1/jobs/" });
  const job: Job = {
    id: `pyannote:${recorded.jobId}`,
    provider: "pyannote",
    nativeId: recorded.jobId,
    task,
    status: "succeeded",
    inputs: [{ kind: "url", url: "https://media.example.com/weekly-sync.wav" }],
    options,
    createdAt: "2026-11-20T09:00:00Z",
    updatedAt: "2026-11-20T09:01:12Z",
    resultState: "none",
    pollCount: 3,
  };
  const fetched = await adapter.fetchResults(job, { putPart: async () => undefined, appendPart: async () => undefined }, {});
  const condense = (query: Record<string, unknown> = {}): CondensedView => adapter!.condense({ job, index: fetched.index, query: { top_k: 5, ...query } });
  return { recorded, condense };
}

type Figures = { speakers: Array<{ speaker: string; talk_s: number; share: number; turns: number }>; overlap_s: number };

const rowsOf = (view: CondensedView) => view.sections.flatMap((section) => section.rows);
const textOf = (view: CondensedView) => [...view.about, ...view.summary, ...rowsOf(view), ...(view.notes ?? [])].join("\n");
const span = (row: string) => {
  const [start, end] = row.split(" ")[0]!.split("–").map((time) => time.split(":").reduce((total, part) => total * 60 + Number(part), 0));
  return { start: start!, end: end! };
};

describe("diarization fixture", () => {
  it("sums talk time, shares and overlap as computed independently", async () => {
    const { recorded, condense } = await fetchedFixture("diarize-transcribed.json", "diarize");
    const truth = groundTruth(recorded.output.diarization);
    const total = [...truth.talk.values()].reduce((sum, value) => sum + value, 0);
    const figures = condense().figures as Figures;
    expect(figures.speakers.map((entry) => entry.speaker).sort()).toEqual(["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"]);
    for (const entry of figures.speakers) {
      expect(entry.talk_s).toBeCloseTo(truth.talk.get(entry.speaker)!, 1);
      expect(entry.share).toBeCloseTo(truth.talk.get(entry.speaker)! / total, 2);
    }
    expect(figures.overlap_s).toBeCloseTo(truth.overlap, 1);
    // By hand: SPEAKER_00's 0.3 s pause at 3.2 s merges two segments into one turn.
    expect(Object.fromEntries(figures.speakers.map((entry) => [entry.speaker, entry.turns]))).toEqual({ SPEAKER_00: 3, SPEAKER_01: 3, SPEAKER_02: 2 });
  });

  it("summarizes speakers, longest monologue and span, then lists merged turns in time order", async () => {
    const { condense } = await fetchedFixture("diarize-transcribed.json", "diarize");
    const view = condense();
    const summary = view.summary.join("\n");
    expect(summary).toMatch(/3 speakers/);
    expect(summary).toContain("0:00.5–0:33.0");
    expect(summary).toMatch(/SPEAKER_00[^\n]*9\.3 s[^\n]*0:00\.5–0:09\.8/);
    expect(summary).toMatch(/SPEAKER_02[^\n]*6\.5 s[^\n]*0:25\.0–0:31\.5/);
    expect(rowsOf(view)).toEqual([
      "0:00.5–0:09.8 SPEAKER_00 (9.3 s)",
      "0:09.1–0:14.0 SPEAKER_01 (4.9 s)",
      "0:13.4–0:15.0 SPEAKER_02 (1.6 s)",
      "0:15.6–0:21.3 SPEAKER_01 (5.7 s)",
      "0:20.9–0:22.0 SPEAKER_00 (1.1 s)",
      "0:25.0–0:31.5 SPEAKER_02 (6.5 s)",
      "0:30.0–0:33.0 SPEAKER_00 (3.0 s)",
      "0:31.0–0:32.0 SPEAKER_01 (1.0 s)",
    ]);
    // The vendor's warning reaches the model as one sanitized line.
    expect((view.notes ?? []).join("\n")).toContain("Audio quality is low in parts");
  });

  it("honours speaker and time window filters, and says so", async () => {
    const { condense } = await fetchedFixture("diarize-transcribed.json", "diarize");
    const view = condense({ view: "timeline", speaker: "SPEAKER_01", start_s: 10, end_s: 20 });
    const rows = rowsOf(view);
    expect(rows.length).toBe(2);
    for (const row of rows) {
      expect(row).toContain("SPEAKER_01");
      const { start, end } = span(row);
      expect(end).toBeGreaterThanOrEqual(10);
      expect(start).toBeLessThanOrEqual(20);
    }
    expect(textOf(view)).toMatch(/SPEAKER_01 only/);
    expect(textOf(view)).toMatch(/0:10\.0–0:20\.0/);
    expect(() => condense({ speaker: "SPEAKER_09" })).toThrow(/SPEAKER_00, SPEAKER_01, SPEAKER_02/);
  });

  it("shows turn texts for the transcript view, one clean line each", async () => {
    const { condense } = await fetchedFixture("diarize-transcribed.json", "diarize");
    const rows = rowsOf(condense({ view: "transcript" }));
    expect(rows[0]).toBe("0:00.5 SPEAKER_00: Morning everyone, let's start with the release plan.");
    const docs = rows.find((row) => row.includes("docs review before Friday"))!;
    expect(docs).toMatch(/^0:15\.6 SPEAKER_01: We still need the docs review before Friday\.$/);
    expect(rows.every((row) => !/[\u0000-\u001f]/.test(row))).toBe(true);
    expect(rowsOf(condense({ view: "transcript", speaker: "SPEAKER_02" })).every((row) => row.includes(" SPEAKER_02: "))).toBe(true);
  });
});

describe("identification fixture", () => {
  it("says who matched whom with what confidence, who stayed unmatched, and names the timeline", async () => {
    const { recorded, condense } = await fetchedFixture("identify.json", "identify", { voiceprints: ["alice", "bob", "carol"] });
    const named = recorded.output.identification!.map((entry) => ({ ...entry, speaker: entry.match ?? entry.speaker }));
    const truth = groundTruth(named);
    const view = condense();
    const figures = view.figures as Figures;
    expect(figures.speakers.map((entry) => entry.speaker).sort()).toEqual(["SPEAKER_02", "alice", "bob"]);
    for (const entry of figures.speakers) expect(entry.talk_s).toBeCloseTo(truth.talk.get(entry.speaker)!, 1);
    expect(figures.overlap_s).toBeCloseTo(truth.overlap, 1);

    const text = textOf(view);
    expect(text).toMatch(/SPEAKER_00\b[^\n]*\balice\b[^\n]*91\.20/);
    expect(text).toMatch(/SPEAKER_01\b[^\n]*\bbob\b[^\n]*77\.00/);
    expect(text).toMatch(/SPEAKER_02[^\n]*no match|unmatched[^\n]*SPEAKER_02/i);
    const rows = rowsOf(view);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatch(/^0:01\.0–0:06\.0 alice\b.*\(5\.0 s\)$/);
    expect(rows[3]).toMatch(/^0:14\.5–0:18\.0 SPEAKER_02\b.*\(3\.5 s\)$/);
    expect(rowsOf(condense({ speaker: "bob" })).every((row) => row.includes(" bob "))).toBe(true);
  });
});

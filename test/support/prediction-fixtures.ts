// Stored result indexes for every provider and task, built from the recorded-shape fixtures in
// test/fixtures (and the Hume payload generator), for tests that read results through
// get_predictions or the condensers.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ProviderId, TaskId } from "../../src/jobs/job.js";
import { buildHamsaIndex } from "../../src/providers/hamsa/hamsa-condense.js";
import { parseHamsaTranscript } from "../../src/providers/hamsa/hamsa-transcript.js";
import { createProvenanceIndexBuilder } from "../../src/providers/humanstandard/humanstandard-results-index.js";
import { buildHumeIndex } from "../../src/providers/hume/hume-index.js";
import { seededRandom } from "../../src/providers/hume/hume-payload-generator.js";
import type { FileSummary, LocalIndex, SegmentReport } from "../../src/providers/local/local-report.js";
import type { PyannoteOutput } from "../../src/providers/pyannote/pyannote-api.js";
import { buildPyannoteIndex } from "../../src/providers/pyannote/pyannote-condense.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures");
export const readFixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));

/** A longer Arabic transcript: the recorded segments repeated along the timeline. */
export function longArabicTranscript(): unknown {
  const recorded = readFixture("hamsa/arabic-segments.json") as { language: string; segments: Array<{ start: number; end: number; text: string; speaker: string }> };
  const segments = Array.from({ length: 12 }, (_, round) =>
    recorded.segments.map((segment) => ({ ...segment, start: segment.start + round * 20, end: segment.end + round * 20 })),
  ).flat();
  return { language: recorded.language, text: segments.map((segment) => segment.text).join(" "), segments };
}

export function provenanceIndex() {
  const random = seededRandom(11);
  const builder = createProvenanceIndexBuilder();
  const origins = ["human", "suno", "udio", "elevenlabs", "unknown"];
  for (let position = 0; position < 60; position++) {
    const failed = position % 17 === 5;
    const truth = random();
    builder.addLine(
      JSON.stringify({
        item_id: `track-${String(position).padStart(3, "0")}`,
        status: failed ? "failed" : "success",
        verdict: failed ? null : truth > 0.6 ? "suspicious" : "human",
        ...(failed ? { error: { code: "download_timeout", message: "Track did not download within 60 s" } } : {}),
        scores: failed ? null : { truth_score: Number(truth.toFixed(4)), reliability: Number((0.4 + random() * 0.6).toFixed(3)) },
        origin: failed ? null : origins[position % origins.length],
        origin_confidence: Number(random().toFixed(3)),
        metadata: { title: `Song ${position}`, artist: `Artist ${position % 7}` },
      }),
    );
  }
  return builder.finish();
}

/** A local analyzer index of one file with a few speech segments (no audio decoding needed). */
export function localIndex(): LocalIndex {
  const segment = (start: number, end: number, syllables: number): SegmentReport => ({ start, end, levelDbfs: -20, f0MedianHz: 150, f0P10Hz: 140, f0P90Hz: 160, voicedRatio: 0.8, syllables });
  const segments = [segment(0.5, 3, 9), segment(4, 6.5, 10), segment(7, 9.5, 8)];
  const file: FileSummary = {
    name: "clip.wav",
    notes: [],
    format: "WAV PCM 16-bit",
    sampleRate: 16_000,
    channels: 1,
    durationSeconds: 10,
    damagedFrames: 0,
    loudness: { integratedLufs: -20, loudnessRangeLu: 3, samplePeakDbfs: -3, truePeakDbtp: -2.9, clippedSamples: 0 } as FileSummary["loudness"],
    speech: { ratio: 0.75, speechSeconds: 7.5, segmentCount: 3, pauses: { count: 2, meanSeconds: 0.75, longestSeconds: 1, totalSeconds: 1.5 } },
    pitch: { medianHz: 150, p10Hz: 140, p90Hz: 160, semitoneStd: 1, voicedRatio: 0.8 },
    rate: { syllables: 27, perSecondOfSpeech: 3.6, perSecondOverall: 2.7 },
    voiceChanges: [],
    segments,
  };
  return { version: 1, files: [file], failures: [] } as unknown as LocalIndex;
}

export interface StoredFixture {
  provider: ProviderId;
  task: TaskId;
  /** The index as the store hands it back (it went through JSON). */
  index: unknown;
}

/** One stored result per provider and task. */
export function storedFixtures(): StoredFixture[] {
  const pyannote = (name: string, task: TaskId) => buildPyannoteIndex(task, (readFixture(`pyannote/${name}`) as { output: PyannoteOutput }).output);
  const fixtures: StoredFixture[] = [
    { provider: "local", task: "acoustic", index: localIndex() },
    { provider: "pyannote", task: "diarize", index: pyannote("diarize-transcribed.json", "diarize") },
    { provider: "pyannote", task: "identify", index: pyannote("identify.json", "identify") },
    { provider: "pyannote", task: "voiceprint", index: buildPyannoteIndex("voiceprint", { voiceprint: "vp-secret" } as PyannoteOutput, "alice") },
    { provider: "hume", task: "expression", index: buildHumeIndex(readFixture("hume/predictions-small.json")) },
    { provider: "hamsa", task: "transcribe", index: buildHamsaIndex(parseHamsaTranscript(longArabicTranscript()), {}) },
    { provider: "humanstandard", task: "provenance", index: provenanceIndex() },
  ];
  return fixtures.map((fixture) => ({ ...fixture, index: JSON.parse(JSON.stringify(fixture.index)) }));
}

// get_predictions at scale: building the stored index and answering views from it, for a
// 50,000-track HumanStandard catalog and a 10-hour pyannoteAI diarization. Prints figures.

import { renderWithinBudget, tokensOf } from "../condense/render.js";
import type { PredictionQuery } from "../condense/view.js";
import type { Job, ProviderId, TaskId } from "../jobs/job.js";
import { condenseHumanStandard } from "../providers/humanstandard/humanstandard-condense.js";
import { createProvenanceIndexBuilder, type ProvenanceIndex } from "../providers/humanstandard/humanstandard-results-index.js";
import { seededRandom } from "../providers/hume/hume-payload-generator.js";
import { buildPyannoteIndex, condensePyannote, type PyannoteIndex } from "../providers/pyannote/pyannote-condense.js";

function jobOf(provider: ProviderId, task: TaskId): Job {
  return { id: `${provider}:bench`, provider, nativeId: "bench", task, status: "succeeded", inputs: [], options: {}, createdAt: "t", updatedAt: "t", resultState: "stored", pollCount: 1 };
}

function timed<T>(work: () => T): [T, number] {
  const start = performance.now();
  const result = work();
  return [result, performance.now() - start];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function catalogLines(tracks: number): string[] {
  const random = seededRandom(7);
  const origins = ["human", "human", "human", "suno", "udio", "elevenlabs", "unknown"];
  return Array.from({ length: tracks }, (_, position) => {
    const failed = random() < 0.02;
    const truth = random();
    return JSON.stringify({
      item_id: `track-${position + 1}`,
      status: failed ? "failed" : "success",
      verdict: failed ? null : truth > 0.6 ? "suspicious" : "human",
      ...(failed ? { error: "download_timeout: the track did not download within 60 s" } : {}),
      tier_verdicts: { press_safe: truth > 0.5 ? "suspicious" : "human", human_safe: truth > 0.7 ? "suspicious" : "human", recall: truth > 0.3 ? "suspicious" : "human" },
      scores: failed ? null : { truth_score: Number(truth.toFixed(4)), reliability: Number((0.4 + random() * 0.6).toFixed(3)), geo_score: Number(random().toFixed(3)) },
      origin: failed ? null : origins[Math.floor(random() * origins.length)],
      origin_confidence: Number(random().toFixed(3)),
      calibration_version: "2026-09",
      processed_at: "2026-11-01T10:00:00Z",
      metadata: { title: `Song ${position + 1}`, artist: `Artist ${position % 997}` },
    });
  });
}

function answer(label: string, condense: (query: PredictionQuery) => ReturnType<typeof condensePyannote>, job: Job, query: PredictionQuery): void {
  const runs: number[] = [];
  let tokens = 0;
  for (let run = 0; run < 5; run++) {
    const [result, ms] = timed(() =>
      renderWithinBudget({ jobId: job.id, status: "succeeded", header: [job.id], view: condense(query), query, maxTokens: 1_500, resultUri: "media-jobs://bench" }),
    );
    runs.push(ms);
    tokens = tokensOf(result);
  }
  console.log(`  ${label.padEnd(44)} ${median(runs).toFixed(1).padStart(7)} ms  ${String(tokens).padStart(5)} tokens`);
}

export async function run(): Promise<void> {
  const tracks = 50_000;
  const lines = catalogLines(tracks);
  const bytes = lines.reduce((sum, line) => sum + line.length + 1, 0);
  const [index, buildMs] = timed(() => {
    const builder = createProvenanceIndexBuilder();
    for (const line of lines) builder.addLine(line);
    return builder.finish();
  });
  const serialized = JSON.stringify(index);
  const [restored, parseMs] = timed(() => JSON.parse(serialized) as ProvenanceIndex);
  console.log(`HumanStandard: ${tracks.toLocaleString("en-US")} tracks, ${(bytes / 1e6).toFixed(1)} MB NDJSON`);
  console.log(`  index built while streaming: ${buildMs.toFixed(0)} ms; stored index ${(serialized.length / 1e6).toFixed(2)} MB, read back in ${parseMs.toFixed(0)} ms`);
  const catalogJob = jobOf("humanstandard", "provenance");
  const condenseCatalog = (query: PredictionQuery) => condenseHumanStandard(catalogJob, restored, query);
  answer("summary + most suspicious first", condenseCatalog, catalogJob, { top_k: 5 });
  answer("verdict=suspicious", condenseCatalog, catalogJob, { top_k: 5, verdict: "suspicious" });
  answer("origin=suno", condenseCatalog, catalogJob, { top_k: 5, origin: "suno" });

  const random = seededRandom(11);
  const segments: Array<{ speaker: string; start: number; end: number }> = [];
  let time = 0;
  while (time < 10 * 3600) {
    const length = 0.5 + random() * 8;
    segments.push({ speaker: `SPEAKER_0${Math.floor(random() * 6)}`, start: time, end: time + length });
    time += length + random() * 0.8 - 0.2;
  }
  const [diarization, indexMs] = timed(() => JSON.parse(JSON.stringify(buildPyannoteIndex("diarize", { diarization: segments }))) as PyannoteIndex);
  console.log(`pyannoteAI: 10 h meeting, ${segments.length.toLocaleString("en-US")} segments, 6 speakers; index ${indexMs.toFixed(0)} ms`);
  const meetingJob = jobOf("pyannote", "diarize");
  const condenseMeeting = (query: PredictionQuery) => condensePyannote(meetingJob, diarization, query);
  answer("summary + timeline (first page)", condenseMeeting, meetingJob, { top_k: 5 });
  answer("window 5:00:00–5:10:00, one speaker", condenseMeeting, meetingJob, { top_k: 5, start_s: 18_000, end_s: 18_600, speaker: "SPEAKER_03" });
}

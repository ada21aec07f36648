// Small texts a user reads on every call: no status said twice, no rate for a row too short
// to have one.

import { describe, expect, it } from "vitest";
import type { Job, JobStatus } from "../../src/jobs/job.js";
import { condenseLocal } from "../../src/providers/local/local-condense.js";
import type { FileSummary, LocalIndex, SegmentReport } from "../../src/providers/local/local-report.js";
import { jobText, toJobView } from "../../src/tools/job-view.js";

function job(status: JobStatus, providerStatus?: string): Job {
  return {
    id: "hamsa:abc",
    provider: "hamsa",
    nativeId: "abc",
    task: "transcribe",
    status,
    ...(providerStatus ? { providerStatus } : {}),
    inputs: [],
    options: {},
    createdAt: "2026-03-01T10:00:00Z",
    updatedAt: "2026-03-01T10:00:00Z",
    resultState: status === "succeeded" ? "stored" : "none",
    pollCount: 0,
  } as Job;
}

describe("job text", () => {
  const statuses: JobStatus[] = ["queued", "running", "succeeded", "failed", "canceled"];

  it("does not repeat the vendor's status when it is our word in any case", () => {
    for (const status of statuses) {
      for (const word of [status, status.toUpperCase(), ` ${status[0]!.toUpperCase()}${status.slice(1)} `]) {
        const first = jobText(toJobView(job(status, word))).split("\n")[0]!;
        expect(first).toBe(`hamsa:abc — transcribe — ${status}`);
      }
    }
  });

  it("shows the vendor's status when it says something else", () => {
    expect(jobText(toJobView(job("queued", "PENDING"))).split("\n")[0]).toBe("hamsa:abc — transcribe — queued (provider: PENDING)");
    expect(jobText(toJobView(job("running", "processing")))).toContain("running (provider: processing)");
    // The structured view keeps the vendor's word verbatim either way.
    expect(toJobView(job("queued", "queued")).provider_status).toBe("queued");
  });
});

describe("local timeline rows", () => {
  function segment(start: number, end: number, syllables: number): SegmentReport {
    return { start, end, levelDbfs: -20, f0MedianHz: 150, f0P10Hz: 140, f0P90Hz: 160, voicedRatio: 0.8, syllables };
  }

  function index(segments: SegmentReport[]): LocalIndex {
    const file: FileSummary = {
      name: "clip.wav",
      notes: [],
      format: "WAV PCM 16-bit",
      sampleRate: 16_000,
      channels: 1,
      durationSeconds: 12,
      damagedFrames: 0,
      loudness: { integratedLufs: -20, loudnessRangeLu: 3, samplePeakDbfs: -3, truePeakDbtp: -2.9, clippedSamples: 0 } as FileSummary["loudness"],
      speech: { ratio: 0.3, speechSeconds: 3.6, segmentCount: segments.length, pauses: { count: 2, meanSeconds: 2, longestSeconds: 3, totalSeconds: 4 } },
      pitch: { medianHz: 150, p10Hz: 140, p90Hz: 160, semitoneStd: 1, voicedRatio: 0.8 },
      rate: { syllables: 14, perSecondOfSpeech: 3.9, perSecondOverall: 1.2 },
      voiceChanges: [],
      segments,
    };
    return { version: 1, files: [file], failures: [] } as unknown as LocalIndex;
  }

  it("prints a rate only for segments long enough to have one, and computes it when it does", () => {
    const view = condenseLocal({
      job: job("succeeded") as Job,
      index: index([segment(0.5, 1.2, 0), segment(2, 2.9, 3), segment(4, 6, 0), segment(7, 9.5, 10)]),
      query: { top_k: 5, view: "segments" },
    });
    const rows = view.sections[0]!.rows;
    expect(rows).toHaveLength(4);
    // 0.7 s and 0.9 s are too short for a rate; 2 s with no nuclei has none to report.
    for (const row of rows.slice(0, 3)) expect(row).not.toMatch(/syl\/s/);
    expect(rows[3]).toContain("4.0 syl/s");
    for (const row of rows) expect(row).not.toContain("0.0 syl/s");
  });
});

// The local analyzer's per-file report: what fetchResults stores as report.json and, without
// the per-second timelines, the index that condense reads.

import type { LoudnessResult } from "./local-loudness.js";

export interface SegmentReport {
  start: number;
  end: number;
  /** Frame-energy level of the segment, dBFS (RMS). */
  levelDbfs: number | null;
  f0MedianHz: number | null;
  f0P10Hz: number | null;
  f0P90Hz: number | null;
  voicedRatio: number;
  syllables: number;
}

export interface PauseStats {
  count: number;
  meanSeconds: number | null;
  longestSeconds: number | null;
  totalSeconds: number;
}

/** What decoding tells about a file's stream, before any analysis. */
export interface StreamFacts {
  format: string;
  sampleRate: number;
  channels: number;
  bitDepth?: number;
  durationSeconds: number;
  /** Frames the decoder skipped as damaged. */
  damagedFrames: number;
}

export interface FileSummary extends StreamFacts {
  name: string;
  /** Plain-language remarks a reader must not miss: the file ends early, no voiced speech found… */
  notes: string[];
  loudness: Omit<LoudnessResult, "shortTermTimeline" | "shortTermStepSeconds">;
  speech: {
    ratio: number;
    speechSeconds: number;
    segmentCount: number;
    pauses: PauseStats;
  };
  pitch: {
    medianHz: number | null;
    p10Hz: number | null;
    p90Hz: number | null;
    semitoneStd: number | null;
    voicedRatio: number;
  };
  rate: {
    syllables: number;
    /** Syllable nuclei per second of speech (articulation-rate proxy). */
    perSecondOfSpeech: number | null;
    /** Over the whole file, pauses included. */
    perSecondOverall: number | null;
  };
  /** Boundaries between segments whose median F0 differs by ≥ 4 semitones: likely a different voice. */
  voiceChanges: number[];
  segments: SegmentReport[];
}

export interface FileReport extends FileSummary {
  timelines: {
    /**
     * Short-term loudness (3 s window) ending at 3 s, 4 s, 5 s…: every second, or every
     * `shortTermLufsStepSeconds` for files over 10 h (at most 36 000 values).
     */
    shortTermLufsPerSecond: Array<number | null>;
    /** Seconds between the loudness values when not 1 (files over 10 h). */
    shortTermLufsStepSeconds?: number;
    /** F0 inside speech, [time, Hz or 0]: every 50 ms, or every multiple of 50 ms that keeps it to 36 000 points. */
    f0: Array<[number, number]>;
  };
}

export interface FileFailure {
  name: string;
  code: string;
  message: string;
}

export interface LocalReport {
  version: 1;
  files: FileReport[];
  failures: FileFailure[];
}

/** What condense reads: the report without the per-second timelines. */
export interface LocalIndex {
  version: 1;
  files: FileSummary[];
  failures: FileFailure[];
}

export function toIndex(report: LocalReport): LocalIndex {
  return {
    version: 1,
    files: report.files.map(({ timelines: _timelines, ...summary }) => summary),
    failures: report.failures,
  };
}

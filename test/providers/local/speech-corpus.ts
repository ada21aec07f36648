// The committed real-speech clips (test/fixtures/speech) and what the peer tools said about
// them (references.json, made by peers/make-references.py; the tools are not needed here).

import fs from "node:fs";
import path from "node:path";

export const SPEECH_DIR = "test/fixtures/speech";

export interface CorpusClip {
  file: string;
  kind: string;
  transcript?: string;
  syllablesFromText?: number;
  channels?: number;
  speech?: boolean;
}

export interface PeerReference {
  ffmpegEbur128: { integratedLufs: number; loudnessRangeLu: number; truePeakDbtp: number };
  praatPitch?: { firstFrameSeconds: number; stepSeconds: number; voicedFrames: number; f0MedianHz: number | null; f0: number[] };
  praatSyllableNuclei?: { nuclei: number; phonationSeconds: number };
  webrtcVad?: { rate: number; frameSeconds: number; mode0: string; mode1: string; mode2: string; mode3: string };
}

export const corpus = JSON.parse(fs.readFileSync(path.join(SPEECH_DIR, "corpus.json"), "utf8")) as { clips: CorpusClip[] };
export const references = JSON.parse(fs.readFileSync(path.join(SPEECH_DIR, "references.json"), "utf8")) as Record<string, PeerReference>;

export function clipPath(file: string): string {
  return path.join(SPEECH_DIR, file);
}

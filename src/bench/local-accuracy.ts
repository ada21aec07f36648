// The local analyzer against peer tools on real recordings: the committed clips in
// test/fixtures/speech and the figures Praat, ffmpeg and the WebRTC VAD gave for them
// (references.json; see the README there for the exact commands).

import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { analyzeFileInDetail, DEFAULT_ANALYSIS_OPTIONS, type SpeechMeasures } from "../providers/local/local-analyze.js";
import { trackTime } from "../providers/local/local-pitch.js";
import type { FileReport } from "../providers/local/local-report.js";

export const SPEECH_FIXTURES = fileURLToPath(new URL("../../test/fixtures/speech/", import.meta.url));

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

export function loadCorpus(): { clips: CorpusClip[]; references: Record<string, PeerReference> } {
  const { clips } = JSON.parse(fs.readFileSync(`${SPEECH_FIXTURES}corpus.json`, "utf8")) as { clips: CorpusClip[] };
  const references = JSON.parse(fs.readFileSync(`${SPEECH_FIXTURES}references.json`, "utf8")) as Record<string, PeerReference>;
  return { clips, references };
}

export interface ClipAccuracy {
  file: string;
  kind: string;
  report: FileReport;
  loudness: { ours: number | null; ffmpeg: number };
  voicing?: {
    praatVoicedFrames: number;
    praatVoicedSeconds: number;
    /** Share of Praat's voiced frames we also call voiced. */
    hitRate: number;
    /** Share of the frames Praat calls unvoiced that we call voiced. */
    falseVoicedRate: number;
    f0MedianOurs: number | null;
    f0MedianPraat: number | null;
    /** How far Praat's track was moved to line up with ours (decoder delay). */
    shiftSeconds: number;
  };
  syllables?: { ours: number; fromText: number; praat: number };
  /** Share of 10 ms frames where our speech/pause split agrees with the WebRTC VAD, per mode. */
  vadAgreement?: number[];
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Our voicing frame by frame against Praat's: each Praat frame is matched to our nearest
 * frame, after the shift (within ±0.1 s) that lines the two tracks up best: decoders differ in
 * whether they drop a compressed file's encoder delay (mpg123 does, Praat's MP3 reader not).
 */
function compareVoicing(measures: SpeechMeasures, praat: NonNullable<PeerReference["praatPitch"]>): NonNullable<ClipAccuracy["voicing"]> {
  const agreementOf = (result: NonNullable<ClipAccuracy["voicing"]>) =>
    result.hitRate * result.praatVoicedFrames + (1 - result.falseVoicedRate) * (praat.f0.length - result.praatVoicedFrames);
  let best = compareVoicingAt(measures, praat, 0);
  let bestAgreement = agreementOf(best);
  for (let shift = -10; shift <= 10; shift++) {
    const result = compareVoicingAt(measures, praat, shift * praat.stepSeconds);
    // Another shift must line up clearly better than none.
    if (agreementOf(result) > bestAgreement + 5) {
      best = result;
      bestAgreement = agreementOf(result);
    }
  }
  return best;
}

function compareVoicingAt(measures: SpeechMeasures, praat: NonNullable<PeerReference["praatPitch"]>, shiftSeconds: number): NonNullable<ClipAccuracy["voicing"]> {
  const { pitch } = measures;
  let praatVoiced = 0;
  let praatUnvoiced = 0;
  let hits = 0;
  let falseVoiced = 0;
  for (const [index, praatF0] of praat.f0.entries()) {
    const time = praat.firstFrameSeconds + index * praat.stepSeconds + shiftSeconds;
    const ours = Math.round((time - pitch.start) / pitch.step);
    const oursVoiced = ours >= 0 && ours < pitch.f0.length && Math.abs(trackTime(pitch, ours) - time) <= 0.0051 && pitch.f0.get(ours) > 0;
    if (praatF0 > 0) {
      praatVoiced++;
      if (oursVoiced) hits++;
    } else {
      praatUnvoiced++;
      if (oursVoiced) falseVoiced++;
    }
  }
  return {
    praatVoicedFrames: praatVoiced,
    praatVoicedSeconds: praatVoiced * praat.stepSeconds,
    hitRate: praatVoiced ? hits / praatVoiced : 1,
    falseVoicedRate: praatUnvoiced ? falseVoiced / praatUnvoiced : 0,
    f0MedianOurs: median([...pitch.f0].filter((value) => value > 0)),
    f0MedianPraat: praat.f0MedianHz,
    shiftSeconds,
  };
}

function compareVad(report: FileReport, vad: NonNullable<PeerReference["webrtcVad"]>): number[] {
  return [vad.mode0, vad.mode1, vad.mode2, vad.mode3].map((flags) => {
    let agree = 0;
    for (let frame = 0; frame < flags.length; frame++) {
      const centre = (frame + 0.5) * vad.frameSeconds;
      const ours = report.segments.some((segment) => centre >= segment.start && centre <= segment.end);
      if (ours === (flags[frame] === "1")) agree++;
    }
    return flags.length ? agree / flags.length : 1;
  });
}

export async function evaluateClip(clip: CorpusClip, reference: PeerReference): Promise<ClipAccuracy> {
  const { report, measures } = await analyzeFileInDetail(`${SPEECH_FIXTURES}${clip.file}`, clip.file, DEFAULT_ANALYSIS_OPTIONS);
  const result: ClipAccuracy = {
    file: clip.file,
    kind: clip.kind,
    report,
    loudness: { ours: report.loudness.integratedLufs, ffmpeg: reference.ffmpegEbur128.integratedLufs },
  };
  if (reference.praatPitch) result.voicing = compareVoicing(measures, reference.praatPitch);
  if (clip.syllablesFromText !== undefined && reference.praatSyllableNuclei) {
    result.syllables = { ours: report.rate.syllables, fromText: clip.syllablesFromText, praat: reference.praatSyllableNuclei.nuclei };
  }
  if (reference.webrtcVad) result.vadAgreement = compareVad(report, reference.webrtcVad);
  return result;
}

export async function evaluateCorpus(): Promise<ClipAccuracy[]> {
  const { clips, references } = loadCorpus();
  const results: ClipAccuracy[] = [];
  for (const clip of clips) results.push(await evaluateClip(clip, references[clip.file]!));
  return results;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** The accuracy table `npm run bench` prints. */
export function formatAccuracyTable(results: ClipAccuracy[]): string {
  const lines = [
    "file                        | voiced: hit of Praat's / false | F0 median ours / Praat (Δ)   | syllables ours / text / Praat-dJW | VAD agree w/ WebRTC m0..m3 | LUFS ours / ffmpeg",
  ];
  let syllablesOurs = 0;
  let syllablesText = 0;
  for (const result of results) {
    const voicing = result.voicing
      ? `${percent(result.voicing.hitRate).padStart(6)} / ${percent(result.voicing.falseVoicedRate).padStart(5)}`
      : "—";
    const f0 =
      result.voicing && result.voicing.f0MedianOurs !== null && result.voicing.f0MedianPraat !== null
        ? `${result.voicing.f0MedianOurs.toFixed(1)} / ${result.voicing.f0MedianPraat.toFixed(1)} Hz (${((result.voicing.f0MedianOurs / result.voicing.f0MedianPraat - 1) * 100).toFixed(1)}%)`
        : "—";
    const syllables = result.syllables ? `${result.syllables.ours} / ${result.syllables.fromText} / ${result.syllables.praat}` : "—";
    if (result.syllables) {
      syllablesOurs += result.syllables.ours;
      syllablesText += result.syllables.fromText;
    }
    const vad = result.vadAgreement ? result.vadAgreement.map((value) => (value * 100).toFixed(0)).join(" ") : "—";
    const loudness = `${result.loudness.ours?.toFixed(2) ?? "—"} / ${result.loudness.ffmpeg.toFixed(1)}`;
    lines.push(`${result.file.padEnd(27)} | ${voicing.padEnd(30)} | ${f0.padEnd(28)} | ${syllables.padEnd(33)} | ${vad.padEnd(26)} | ${loudness}`);
  }
  lines.push(`syllables over the corpus: ${syllablesOurs} found, ${syllablesText} in the transcripts (${((syllablesOurs / syllablesText - 1) * 100).toFixed(1)}%)`);
  return lines.join("\n");
}

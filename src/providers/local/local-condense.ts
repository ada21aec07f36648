// The local analyzer's index → a condensed view: what was analysed, per-file summary figures
// first, then each file's timeline (speech segments and the pauses between them).

import {
  describeWindow,
  formatCount,
  formatDuration,
  formatPercent,
  formatSpan,
  overlapsWindow,
  sanitizeVendorText,
} from "../../condense/format.js";
import type { CondensedView } from "../../condense/view.js";
import type { CondenseInput } from "../provider.js";
import type { FileSummary, LocalIndex } from "./local-report.js";

export const LOCAL_VIEWS = ["summary", "segments"] as const;

export function condenseLocal(input: CondenseInput): CondensedView {
  const index = input.index as LocalIndex;
  const { query } = input;
  const view = query.view ?? "summary";
  const notes: string[] = [];
  if (!(LOCAL_VIEWS as readonly string[]).includes(view)) {
    notes.push(`view "${sanitizeVendorText(view, 40)}" is not offered by the local analyzer; showing summary (views: ${LOCAL_VIEWS.join(", ")})`);
  }
  const segmentsOnly = view === "segments";
  const selected = selectFiles(index.files, query.file);
  const totalSeconds = index.files.reduce((sum, file) => sum + file.durationSeconds, 0);

  const about = [
    `Local acoustic analysis of ${index.files.length} file${index.files.length === 1 ? "" : "s"}, ${formatDuration(totalSeconds)} of audio` +
      (index.failures.length ? `; ${index.failures.length} file${index.failures.length === 1 ? "" : "s"} could not be analysed` : ""),
    ...index.files.map(
      (file, position) =>
        `[${position}] ${sanitizeVendorText(file.name, 80)}: ${file.format}, ${formatDuration(file.durationSeconds)}, ${file.sampleRate} Hz, ${file.channels === 1 ? "mono" : file.channels === 2 ? "stereo" : `${file.channels} ch`}`,
    ),
  ];

  const summary: string[] = [];
  for (const { file, position } of selected) summary.push(...summarizeFile(file, position, index.files.length > 1));
  for (const failure of index.failures) summary.push(`${sanitizeVendorText(failure.name, 80)}: not analysed — ${sanitizeVendorText(failure.message, 200)}`);

  const sections = selected.map(({ file, position }) => ({
    heading: `${index.files.length > 1 ? `[${position}] ` : ""}${sanitizeVendorText(file.name, 80)} — ${segmentsOnly ? "speech segments" : "timeline (speech and pauses)"}`,
    rows: timelineRows(file, query.start_s, query.end_s, segmentsOnly),
  }));

  const window = describeWindow(query.start_s, query.end_s);
  if (window) notes.push(`timeline limited to ${window} (summary figures cover whole files)`);
  if (query.file !== undefined) {
    notes.push(
      selected.length
        ? `file ${sanitizeVendorText(query.file, 60)}: showing ${selected.length} of ${index.files.length}`
        : `no file matches "${sanitizeVendorText(query.file, 60)}"; files are: ${index.files.map((file, position) => `[${position}] ${sanitizeVendorText(file.name, 60)}`).join(", ")}`,
    );
  } else if (index.files.length > 1) {
    notes.push("file=<0-based index or name> shows one file");
  }
  if (!segmentsOnly) notes.push("view=segments lists speech segments only, with F0 range and voiced share");
  notes.push("voice changes are a pitch-register heuristic (≥ 4 semitones between neighbouring segments), not speaker diarization");

  const figures: Record<string, unknown> = {
    files: selected.map(({ file }) => ({
      name: file.name,
      duration_s: file.durationSeconds,
      speech_ratio: file.speech.ratio,
      pauses: file.speech.pauses.count,
      integrated_lufs: file.loudness.integratedLufs,
      lra_lu: file.loudness.loudnessRangeLu,
      true_peak_dbtp: file.loudness.truePeakDbtp,
      clipped_samples: file.loudness.clippedSamples,
      f0_median_hz: file.pitch.medianHz,
      syllables_per_s: file.rate.perSecondOfSpeech,
    })),
  };
  return { about, summary, sections, notes, figures };
}

function selectFiles(files: FileSummary[], wanted: string | undefined): Array<{ file: FileSummary; position: number }> {
  const all = files.map((file, position) => ({ file, position }));
  if (wanted === undefined) return all;
  const trimmed = wanted.trim();
  if (/^\d+$/.test(trimmed)) {
    const match = all[Number(trimmed)];
    if (match) return [match];
  }
  const lower = trimmed.toLowerCase();
  const exact = all.filter(({ file }) => file.name.toLowerCase() === lower);
  if (exact.length) return exact;
  return all.filter(({ file }) => file.name.toLowerCase().includes(lower));
}

function db(value: number | null, unit: string): string {
  return value === null ? `— ${unit}` : `${value.toFixed(1)} ${unit}`;
}

function hz(value: number | null): string {
  return value === null ? "—" : `${Math.round(value)} Hz`;
}

function summarizeFile(file: FileSummary, position: number, multiFile: boolean): string[] {
  const prefix = multiFile ? `[${position}] ` : "";
  const { speech, loudness, pitch, rate } = file;
  const pauses = speech.pauses;
  const lines = [
    `${prefix}Speech ${formatPercent(speech.ratio)} of ${formatDuration(file.durationSeconds)} (${formatDuration(speech.speechSeconds)} in ${formatCount(speech.segmentCount)} segment${speech.segmentCount === 1 ? "" : "s"}); ` +
      (pauses.count
        ? `${formatCount(pauses.count)} pause${pauses.count === 1 ? "" : "s"}, mean ${pauses.meanSeconds!.toFixed(2)} s, longest ${pauses.longestSeconds!.toFixed(2)} s`
        : "no pauses between speech segments"),
    `${prefix}Loudness ${db(loudness.integratedLufs, "LUFS")} integrated, LRA ${db(loudness.loudnessRangeLu, "LU")}, sample peak ${db(loudness.samplePeakDbfs, "dBFS")}, true peak ${db(loudness.truePeakDbtp, "dBTP")}, ` +
      `${loudness.clippedSamples ? `${formatCount(loudness.clippedSamples)} clipped samples` : "no clipping"}`,
    pitch.medianHz === null
      ? `${prefix}Pitch: no voiced speech found`
      : `${prefix}Pitch (F0) median ${hz(pitch.medianHz)}, 10–90% ${hz(pitch.p10Hz)}–${hz(pitch.p90Hz)}, variability ${pitch.semitoneStd?.toFixed(1) ?? "—"} semitones, voiced ${formatPercent(pitch.voicedRatio)} of speech frames`,
    `${prefix}Speaking rate ≈ ${rate.perSecondOfSpeech === null || rate.syllables < 2 || speech.speechSeconds < MIN_RATE_SECONDS ? "—" : rate.perSecondOfSpeech.toFixed(1)} syllables/s of speech (${formatCount(rate.syllables)} syllable nuclei; ${rate.perSecondOverall === null ? "—" : rate.perSecondOverall.toFixed(1)}/s overall)`,
  ];
  if (file.voiceChanges.length) {
    const shown = file.voiceChanges.slice(0, 12).map((time) => formatDuration(time)).join(", ");
    lines.push(`${prefix}Likely voice changes (pitch register) at ${shown}${file.voiceChanges.length > 12 ? ` and ${file.voiceChanges.length - 12} more` : ""}`);
  }
  for (const note of file.notes ?? []) lines.push(`${prefix}Note: ${note}`);
  if (file.damagedFrames) lines.push(`${prefix}${formatCount(file.damagedFrames)} damaged frames were skipped while decoding`);
  return lines;
}

function timelineRows(file: FileSummary, from: number | undefined, to: number | undefined, segmentsOnly: boolean): string[] {
  const rows: string[] = [];
  file.segments.forEach((segment, index) => {
    const previous = file.segments[index - 1];
    if (!segmentsOnly && previous && overlapsWindow(previous.end, segment.start, from, to)) {
      rows.push(`${formatSpan(previous.end, segment.start)} pause ${(segment.start - previous.end).toFixed(1)} s`);
    }
    if (!overlapsWindow(segment.start, segment.end, from, to)) return;
    const parts = [`${formatSpan(segment.start, segment.end)} speech ${(segment.end - segment.start).toFixed(1)} s`];
    if (segment.f0MedianHz !== null) {
      parts.push(segmentsOnly ? `F0 ${hz(segment.f0MedianHz)} (${hz(segment.f0P10Hz)}–${hz(segment.f0P90Hz)})` : `F0 ${hz(segment.f0MedianHz)}`);
    }
    if (segmentsOnly) parts.push(`voiced ${formatPercent(segment.voicedRatio)}`);
    const rate = syllableRate(segment.syllables, segment.end - segment.start);
    if (rate) parts.push(rate);
    if (segment.levelDbfs !== null) parts.push(`${segment.levelDbfs.toFixed(0)} dBFS`);
    rows.push(parts.join("  "));
  });
  return rows;
}

/**
 * A segment's speaking rate, or nothing when the segment is too short to have one: a rate needs
 * a second of speech and at least two syllable nuclei (0 nuclei in 0.7 s printed "0.0 syl/s").
 */
export const MIN_RATE_SECONDS = 1;
export function syllableRate(syllables: number, seconds: number): string | undefined {
  if (!(seconds >= MIN_RATE_SECONDS) || syllables < 2) return undefined;
  return `${(syllables / seconds).toFixed(1)} syl/s`;
}

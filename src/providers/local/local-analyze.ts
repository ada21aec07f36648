// One file end to end: decode in pieces → loudness on the original channels at their native
// rate → mono 16 kHz → voice activity → pitch inside speech → syllable nuclei → report.

import { LoudnessMeter, type LoudnessResult } from "./local-loudness.js";
import { openAudioSource } from "./local-decode.js";
import { AudioDecodeError } from "./local-errors.js";
import { pitchStats, trackPitch, type PitchTrack } from "./local-pitch.js";
import type { FileReport, SegmentReport, StreamFacts } from "./local-report.js";
import { ANALYSIS_RATE, mixToMono, SampleAccumulator, StreamingResampler } from "./local-resample.js";
import { findSyllableNuclei } from "./local-syllables.js";
import { computeFrameFeatures, detectSpeech, frameTime, type FrameFeatures, type SpeechSegment } from "./local-vad.js";

export interface AnalysisOptions {
  vadSensitivity: number;
  minPauseSeconds: number;
  f0MinHz: number;
  f0MaxHz: number;
}

export const DEFAULT_ANALYSIS_OPTIONS: AnalysisOptions = {
  vadSensitivity: 0.5,
  minPauseSeconds: 0.3,
  f0MinHz: 60,
  f0MaxHz: 500,
};

/** Share of a file's progress that decoding (with loudness) stands for; the rest is speech analysis. */
const DECODE_SHARE = 0.5;
const VOICE_CHANGE_SEMITONES = 4;
const MIN_VOICED_FRAMES_FOR_CHANGE = 15;

export interface DecodedForAnalysis extends StreamFacts {
  loudness: LoudnessResult;
  mono: Float32Array;
  /** Plain-language remarks about the input (it ends early…), carried into the report. */
  notes: string[];
}

/**
 * Progress callback: seconds of this file done so far, and the file's length when known
 * (exact for WAV/FLAC, estimated for MP3/Ogg until decoding ends).
 */
export type FileProgress = (doneSeconds: number, totalSeconds: number | undefined) => void;

export async function analyzeFile(path: string, name: string, options: AnalysisOptions, onProgress?: FileProgress): Promise<FileReport> {
  const decoded = await decodeForAnalysis(path, name, onProgress);
  const report = analyzeDecoded(name, decoded, options, (fraction) =>
    onProgress?.(decoded.durationSeconds * (DECODE_SHARE + (1 - DECODE_SHARE) * fraction), decoded.durationSeconds),
  );
  onProgress?.(decoded.durationSeconds, decoded.durationSeconds);
  return report;
}

export async function decodeForAnalysis(path: string, name: string, onProgress?: FileProgress): Promise<DecodedForAnalysis> {
  const source = await openAudioSource(path, name);
  try {
    let meter: LoudnessMeter | undefined;
    let resampler: StreamingResampler | undefined;
    let accumulator: SampleAccumulator | undefined;
    let skip: boolean[] | undefined;
    let frames = 0;
    let lastReport = 0;
    for await (const chunk of source.chunks()) {
      if (!meter) {
        meter = new LoudnessMeter(chunk.sampleRate, chunk.channels.length, source.channelRoles);
        skip = source.channelRoles?.map((role) => role === "lfe");
        resampler = new StreamingResampler(chunk.sampleRate, ANALYSIS_RATE);
        accumulator = new SampleAccumulator(((source.estimatedSeconds ?? 60) + 1) * ANALYSIS_RATE);
      }
      if (chunk.sampleRate !== meter.sampleRate) {
        throw new AudioDecodeError(`${name} changes sample rate mid-stream (${meter.sampleRate} → ${chunk.sampleRate} Hz), which the local analyzer does not handle`, "unsupported_format");
      }
      meter.process(chunk.channels);
      accumulator!.append(resampler!.push(mixToMono(chunk.channels, skip)));
      frames += chunk.channels[0]!.length;
      const seconds = frames / chunk.sampleRate;
      if (onProgress && seconds - lastReport >= 1) {
        lastReport = seconds;
        const total = Math.max(source.estimatedSeconds ?? 0, seconds);
        onProgress(seconds * DECODE_SHARE, total);
      }
    }
    if (!meter || !resampler || !accumulator) {
      throw new AudioDecodeError(`${name} holds no audio samples (${source.description}, 0 s)`);
    }
    accumulator.append(resampler.flush());
    const durationSeconds = frames / meter.sampleRate;
    return {
      notes: endsEarlyNote(source.promisedSeconds, source.promiseSlackSeconds ?? 0, durationSeconds),
      format: source.description,
      sampleRate: meter.sampleRate,
      channels: meter.channelCount,
      bitDepth: source.bitDepth,
      durationSeconds,
      damagedFrames: source.damagedFrames,
      loudness: meter.finish(),
      mono: accumulator.view(),
    };
  } finally {
    await source.close();
  }
}

/** A note when the container promised more audio than the file holds (a cut-off download or recording). */
function endsEarlyNote(promisedSeconds: number | null | undefined, slackSeconds: number, decodedSeconds: number): string[] {
  if (promisedSeconds === undefined) return [];
  if (promisedSeconds === null) return [`The file ends early: its stream stops without the end-of-stream marker (cut-off download or interrupted recording?); the ${decodedSeconds.toFixed(1)} s present were analysed`];
  if (promisedSeconds - decodedSeconds <= slackSeconds + 1e-6) return [];
  return [`The file ends early: its header promises ${promisedSeconds.toFixed(1)} s of audio but only ${decodedSeconds.toFixed(1)} s are present (cut-off download or interrupted recording?); what is present was analysed`];
}

/** Everything after decoding: pure computation on the 16 kHz mono signal. */
export function analyzeDecoded(name: string, decoded: DecodedForAnalysis, options: AnalysisOptions, onProgress?: (fraction: number) => void): FileReport {
  const features = computeFrameFeatures(decoded.mono, ANALYSIS_RATE, (fraction) => onProgress?.(fraction * 0.6));
  const segments = detectSpeech(features, {
    sensitivity: options.vadSensitivity,
    minPauseSeconds: options.minPauseSeconds,
    minSpeechSeconds: 0.1,
  }).map((segment) => ({ start: segment.start, end: Math.min(segment.end, decoded.durationSeconds) }));
  onProgress?.(0.6);
  const pitch = trackPitch(decoded.mono, segments, { minHz: options.f0MinHz, maxHz: options.f0MaxHz });
  onProgress?.(0.95);
  const nuclei = findSyllableNuclei(features, segments, pitch);
  const segmentReports = segments.map((segment) => describeSegment(segment, features, pitch, nuclei));
  const speechSeconds = segments.reduce((sum, segment) => sum + segment.end - segment.start, 0);
  const gaps = segments.slice(1).map((segment, index) => segment.start - segments[index]!.end);
  const overall = pitchStats(pitch);
  const { shortTermPerSecond, ...loudness } = decoded.loudness;
  const duration = decoded.durationSeconds;
  return {
    name,
    format: decoded.format,
    sampleRate: decoded.sampleRate,
    channels: decoded.channels,
    ...(decoded.bitDepth ? { bitDepth: decoded.bitDepth } : {}),
    durationSeconds: round(duration, 3),
    damagedFrames: decoded.damagedFrames,
    notes: decoded.notes,
    loudness: {
      integratedLufs: roundOrNull(loudness.integratedLufs, 2),
      loudnessRangeLu: roundOrNull(loudness.loudnessRangeLu, 2),
      maxMomentaryLufs: roundOrNull(loudness.maxMomentaryLufs, 2),
      maxShortTermLufs: roundOrNull(loudness.maxShortTermLufs, 2),
      samplePeakDbfs: roundOrNull(loudness.samplePeakDbfs, 2),
      truePeakDbtp: roundOrNull(loudness.truePeakDbtp, 2),
      clippedSamples: loudness.clippedSamples,
    },
    speech: {
      ratio: duration > 0 ? round(speechSeconds / duration, 4) : 0,
      speechSeconds: round(speechSeconds, 2),
      segmentCount: segments.length,
      pauses: {
        count: gaps.length,
        meanSeconds: gaps.length ? round(gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length, 2) : null,
        longestSeconds: gaps.length ? round(Math.max(...gaps), 2) : null,
        totalSeconds: round(gaps.reduce((sum, gap) => sum + gap, 0), 2),
      },
    },
    pitch: {
      medianHz: roundOrNull(overall.medianHz, 1),
      p10Hz: roundOrNull(overall.p10Hz, 1),
      p90Hz: roundOrNull(overall.p90Hz, 1),
      semitoneStd: roundOrNull(overall.semitoneStd, 2),
      voicedRatio: round(overall.voicedRatio, 3),
    },
    rate: {
      syllables: nuclei.length,
      perSecondOfSpeech: speechSeconds > 0 ? round(nuclei.length / speechSeconds, 2) : null,
      perSecondOverall: duration > 0 ? round(nuclei.length / duration, 2) : null,
    },
    voiceChanges: findVoiceChanges(segments, pitch),
    segments: segmentReports,
    timelines: {
      shortTermLufsPerSecond: shortTermPerSecond,
      f0: sampleTrack(pitch, 5),
    },
  };
}

function describeSegment(segment: SpeechSegment, features: FrameFeatures, pitch: PitchTrack, nuclei: number[]): SegmentReport {
  const stats = pitchStats(pitch, segment.start, segment.end);
  let power = 0;
  let frames = 0;
  const first = Math.max(0, Math.ceil((segment.start * features.sampleRate - 256) / 160));
  for (let frame = first; frame < features.count && frameTime(frame, features.sampleRate) <= segment.end; frame++) {
    power += 10 ** (features.energyDb[frame]! / 10);
    frames++;
  }
  return {
    start: round(segment.start, 2),
    end: round(segment.end, 2),
    levelDbfs: frames > 0 && power > 0 ? round(10 * Math.log10(power / frames), 1) : null,
    f0MedianHz: roundOrNull(stats.medianHz, 1),
    f0P10Hz: roundOrNull(stats.p10Hz, 1),
    f0P90Hz: roundOrNull(stats.p90Hz, 1),
    voicedRatio: round(stats.voicedRatio, 3),
    syllables: nuclei.filter((time) => time >= segment.start && time <= segment.end).length,
  };
}

/** A pitch-register heuristic, not diarization: a jump of ≥ 4 semitones between neighbours. */
function findVoiceChanges(segments: SpeechSegment[], pitch: PitchTrack): number[] {
  const changes: number[] = [];
  let previous: { median: number; end: number } | undefined;
  for (const segment of segments) {
    const stats = pitchStats(pitch, segment.start, segment.end);
    if (stats.medianHz === null || stats.voicedFrames < MIN_VOICED_FRAMES_FOR_CHANGE) continue;
    if (previous && Math.abs(12 * Math.log2(stats.medianHz / previous.median)) >= VOICE_CHANGE_SEMITONES) {
      changes.push(round((previous.end + segment.start) / 2, 2));
    }
    previous = { median: stats.medianHz, end: segment.end };
  }
  return changes;
}

function sampleTrack(pitch: PitchTrack, every: number): Array<[number, number]> {
  const samples: Array<[number, number]> = [];
  for (let index = 0; index < pitch.times.length; index += every) samples.push([round(pitch.times[index]!, 2), round(pitch.f0[index]!, 1)]);
  return samples;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function roundOrNull(value: number | null, digits: number): number | null {
  return value === null || !Number.isFinite(value) ? null : round(value, digits);
}

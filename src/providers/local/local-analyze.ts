// One file end to end, streamed block by block: decode → loudness on the original channels at
// their native rate → mono 16 kHz → high-pass → voice-activity features and pitch per 10 ms
// frame → (at the end) speech segments → syllable nuclei → report.

import { openAudioSource, type AudioChunk, type AudioSource } from "./local-decode.js";
import { AudioDecodeError } from "./local-errors.js";
import { LoudnessMeter, type LoudnessResult } from "./local-loudness.js";
import { framesBetween, pitchStats, PitchTracker, trackTime, type PitchStats, type PitchTrack } from "./local-pitch.js";
import type { FileReport, SegmentReport, StreamFacts } from "./local-report.js";
import { ANALYSIS_RATE, mixToMono, StreamingResampler } from "./local-resample.js";
import { findSyllableNuclei } from "./local-syllables.js";
import { detectSpeech, FrameFeatureExtractor, frameTime, HighPass, HOP_SIZE, type FrameFeatures, type SpeechSegment } from "./local-vad.js";

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

const VOICE_CHANGE_SEMITONES = 4;
const MIN_VOICED_FRAMES_FOR_CHANGE = 15;
/** Under this much voiced sound in all the activity found, the file holds no voiced speech. */
const MIN_VOICED_SECONDS = 0.3;
/** A voiced run this long whose F0 varies less than STEADY_SEMITONES is a machine tone. */
const STEADY_RUN_SECONDS = 0.5;
const STEADY_SEMITONES = 0.1;

/**
 * Progress callback: seconds of this file done so far, and the file's length when known
 * (exact for WAV/FLAC, estimated for MP3/Ogg until decoding ends).
 */
export type FileProgress = (doneSeconds: number, totalSeconds: number | undefined) => void;

/**
 * The audio of a source as mono 16 kHz blocks (channels averaged, the LFE left out), streamed:
 * nothing is held beyond the resampler's few taps. `onChunk` sees each decoded chunk at the
 * native rate and channels first (loudness is measured there).
 */
export async function* monoBlocks(source: AudioSource, onChunk?: (chunk: AudioChunk) => void): AsyncGenerator<Float32Array> {
  let resampler: StreamingResampler | undefined;
  let skip: boolean[] | undefined;
  let rate = 0;
  for await (const chunk of source.chunks()) {
    if (!resampler) {
      rate = chunk.sampleRate;
      resampler = new StreamingResampler(rate, ANALYSIS_RATE);
      skip = source.channelRoles?.map((role) => role === "lfe");
    }
    if (chunk.sampleRate !== rate) {
      throw new AudioDecodeError(`${source.description} changes sample rate mid-stream (${rate} → ${chunk.sampleRate} Hz), which the local analyzer does not handle`, "unsupported_format");
    }
    onChunk?.(chunk);
    const block = resampler.push(mixToMono(chunk.channels, skip));
    if (block.length > 0) yield block;
  }
  if (resampler) {
    const tail = resampler.flush();
    if (tail.length > 0) yield tail;
  }
}

/** What the speech measures rest on, for the report and for accuracy checks against peers. */
export interface SpeechMeasures {
  features: FrameFeatures;
  segments: SpeechSegment[];
  pitch: PitchTrack;
  nuclei: number[];
}

/**
 * Voice activity, pitch and syllable nuclei of a 16 kHz mono stream, block by block: the
 * signal is high-passed (DC offset and hum out), turned into per-frame features and F0 as it
 * arrives, and only those per-frame values are kept.
 */
export class SpeechAnalysis {
  private readonly highPass = new HighPass(ANALYSIS_RATE);
  private readonly features: FrameFeatureExtractor;
  private readonly pitch: PitchTracker;
  private readonly options: AnalysisOptions;

  constructor(options: AnalysisOptions) {
    this.options = options;
    this.features = new FrameFeatureExtractor(ANALYSIS_RATE, options.vadSensitivity);
    this.pitch = new PitchTracker({ minHz: options.f0MinHz, maxHz: options.f0MaxHz }, HOP_SIZE / ANALYSIS_RATE, frameTime(0, ANALYSIS_RATE));
  }

  /**
   * Bytes of state the analysis holds: 9 per 10 ms frame (energy, flags, F0 in fixed-size
   * chunks) plus buffers the size of a pushed block. What grows with the stream's length.
   */
  get byteLength(): number {
    return this.features.byteLength + this.pitch.byteLength;
  }

  push(mono16k: Float32Array): void {
    const filtered = this.highPass.process(mono16k);
    this.features.push(filtered, mono16k);
    this.pitch.push(filtered);
  }

  finish(durationSeconds: number): SpeechMeasures {
    const features = this.features.finish();
    const pitch = this.pitch.finish(features.count);
    const segments = detectSpeech(features, {
      sensitivity: this.options.vadSensitivity,
      minPauseSeconds: this.options.minPauseSeconds,
      minSpeechSeconds: 0.1,
    }).map((segment) => ({ start: segment.start, end: Math.min(segment.end, durationSeconds) }));
    const nuclei = findSyllableNuclei(features, segments, pitch);
    return { features, segments, pitch, nuclei };
  }
}

/** Speech measures of a whole 16 kHz signal in memory (tests, small inputs). */
export function measureSpeech(mono16k: Float32Array, options: AnalysisOptions = DEFAULT_ANALYSIS_OPTIONS): SpeechMeasures {
  const analysis = new SpeechAnalysis(options);
  analysis.push(mono16k);
  return analysis.finish(mono16k.length / ANALYSIS_RATE);
}

/**
 * One file end to end, streamed: each decoded chunk feeds the loudness meter at its native
 * rate and channels, then the mono 16 kHz speech analysis. Memory does not grow with the
 * file's length beyond a few bytes of per-frame values.
 */
export async function analyzeFile(path: string, name: string, options: AnalysisOptions, onProgress?: FileProgress): Promise<FileReport> {
  return (await analyzeFileInDetail(path, name, options, onProgress)).report;
}

/** `analyzeFile`, also returning the per-frame measures behind the report (benchmarks compare them with peers). */
export async function analyzeFileInDetail(path: string, name: string, options: AnalysisOptions, onProgress?: FileProgress): Promise<{ report: FileReport; measures: SpeechMeasures }> {
  const source = await openAudioSource(path, name);
  try {
    let meter: LoudnessMeter | undefined;
    const speech = new SpeechAnalysis(options);
    let frames = 0;
    let lastReport = 0;
    const onChunk = (chunk: AudioChunk) => {
      meter ??= new LoudnessMeter(chunk.sampleRate, chunk.channels.length, source.channelRoles);
      meter.process(chunk.channels);
      frames += chunk.channels[0]!.length;
    };
    for await (const block of monoBlocks(source, onChunk)) {
      speech.push(block);
      const seconds = frames / meter!.sampleRate;
      if (onProgress && seconds - lastReport >= 1) {
        lastReport = seconds;
        onProgress(seconds, Math.max(source.estimatedSeconds ?? 0, seconds));
      }
    }
    if (!meter) throw new AudioDecodeError(`${name} holds no audio samples (${source.description}, 0 s)`);
    const durationSeconds = frames / meter.sampleRate;
    const measures = speech.finish(durationSeconds);
    const facts: StreamFacts = {
      format: source.description,
      sampleRate: meter.sampleRate,
      channels: meter.channelCount,
      ...(source.bitDepth ? { bitDepth: source.bitDepth } : {}),
      durationSeconds,
      damagedFrames: source.damagedFrames,
    };
    const report = buildReport(name, facts, meter.finish(), measures, endsEarlyNote(source.promisedSeconds, source.promiseSlackSeconds ?? 0, durationSeconds));
    onProgress?.(durationSeconds, durationSeconds);
    return { report, measures };
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

/** Notes on what the speech analysis found, when its figures would mislead on their own. */
function speechNotes(measures: SpeechMeasures, speechSeconds: number): string[] {
  const { pitch } = measures;
  let voiced = 0;
  let steady = 0;
  // Voiced runs holding one exact pitch for half a second or more: no voice does that.
  let runStart = -1;
  const closeRun = (end: number) => {
    if (runStart >= 0 && (end - runStart) * pitch.step >= STEADY_RUN_SECONDS) {
      const stats = pitchStats(pitch, [[runStart, end - 1]]);
      if (stats.semitoneStd !== null && stats.semitoneStd < STEADY_SEMITONES) steady += end - runStart;
    }
    runStart = -1;
  };
  for (let index = 0; index < pitch.f0.length; index++) {
    if (pitch.f0.get(index) > 0) {
      voiced++;
      if (runStart < 0) runStart = index;
    } else closeRun(index);
  }
  closeRun(pitch.f0.length);
  const voicedSeconds = voiced * pitch.step;
  if (voicedSeconds < MIN_VOICED_SECONDS) {
    if (speechSeconds <= 0) return ["No speech was found: nothing voice-like sounds in this file (silence, noise or other non-speech sound)"];
    return [
      `No voiced speech was found: the ${speechSeconds.toFixed(1)} s of sound activity have no voice pitch, so this is probably not speech (noise, hiss, machine sounds or whispering); the speech and rate figures describe that activity, not talk`,
    ];
  }
  if (steady >= voiced / 2) {
    return [
      `No voiced speech was found: the pitched sound holds one exact pitch for long stretches, as tones, beeps, modem or fax signals do and voices never do; the pitch and speech figures describe that sound, not talk`,
    ];
  }
  return [];
}

function buildReport(name: string, facts: StreamFacts, loudnessResult: LoudnessResult, measures: SpeechMeasures, notes: string[]): FileReport {
  const { features, segments, pitch, nuclei } = measures;
  const segmentStats = segments.map((segment) => pitchStats(pitch, [framesBetween(pitch, segment.start, segment.end)]));
  const segmentReports = describeSegments(segments, segmentStats, features, nuclei);
  const speechSeconds = segments.reduce((sum, segment) => sum + segment.end - segment.start, 0);
  const gaps = segments.slice(1).map((segment, index) => segment.start - segments[index]!.end);
  const overall = pitchStats(pitch, speechFrames(pitch, segments));
  const { shortTermTimeline, shortTermStepSeconds, ...loudness } = loudnessResult;
  const duration = facts.durationSeconds;
  return {
    name,
    format: facts.format,
    sampleRate: facts.sampleRate,
    channels: facts.channels,
    ...(facts.bitDepth ? { bitDepth: facts.bitDepth } : {}),
    durationSeconds: round(duration, 3),
    damagedFrames: facts.damagedFrames,
    notes: [...notes, ...speechNotes(measures, speechSeconds)],
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
    voiceChanges: findVoiceChanges(segments, segmentStats),
    segments: segmentReports,
    timelines: {
      shortTermLufsPerSecond: shortTermTimeline,
      ...(shortTermStepSeconds !== 1 ? { shortTermLufsStepSeconds: shortTermStepSeconds } : {}),
      f0: f0Timeline(pitch, segments),
    },
  };
}

/** The pitch frames centred inside the (sorted, disjoint) segments, bounds included, as spans. */
function speechFrames(pitch: PitchTrack, segments: SpeechSegment[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const segment of segments) {
    let [first, last] = framesBetween(pitch, segment.start, segment.end);
    // Exactly the frames whose centre lies in [start, end]: the bounds above allow a nanosecond.
    while (first <= last && trackTime(pitch, first) < segment.start) first++;
    while (last >= first && trackTime(pitch, last) > segment.end) last--;
    if (first <= last) spans.push([first, last]);
  }
  return spans;
}

function describeSegments(segments: SpeechSegment[], stats: PitchStats[], features: FrameFeatures, nuclei: number[]): SegmentReport[] {
  let nucleus = 0;
  return segments.map((segment, index) => {
    let power = 0;
    let frames = 0;
    const first = Math.max(0, Math.ceil((segment.start * features.sampleRate - 256) / 160));
    for (let frame = first; frame < features.count && frameTime(frame, features.sampleRate) <= segment.end; frame++) {
      power += 10 ** (features.energyDb.get(frame) / 10);
      frames++;
    }
    // Nuclei and segments are both in time order: count the ones inside as both advance.
    while (nucleus < nuclei.length && nuclei[nucleus]! < segment.start) nucleus++;
    let syllables = 0;
    while (nucleus + syllables < nuclei.length && nuclei[nucleus + syllables]! <= segment.end) syllables++;
    const { medianHz, p10Hz, p90Hz, voicedRatio } = stats[index]!;
    return {
      start: round(segment.start, 2),
      end: round(segment.end, 2),
      levelDbfs: frames > 0 && power > 0 ? round(10 * Math.log10(power / frames), 1) : null,
      f0MedianHz: roundOrNull(medianHz, 1),
      f0P10Hz: roundOrNull(p10Hz, 1),
      f0P90Hz: roundOrNull(p90Hz, 1),
      voicedRatio: round(voicedRatio, 3),
      syllables,
    };
  });
}

/** A pitch-register heuristic, not diarization: a jump of ≥ 4 semitones between neighbours. */
function findVoiceChanges(segments: SpeechSegment[], stats: PitchStats[]): number[] {
  const changes: number[] = [];
  let previous: { median: number; end: number } | undefined;
  for (const [index, segment] of segments.entries()) {
    const { medianHz, voicedFrames } = stats[index]!;
    if (medianHz === null || voicedFrames < MIN_VOICED_FRAMES_FOR_CHANGE) continue;
    if (previous && Math.abs(12 * Math.log2(medianHz / previous.median)) >= VOICE_CHANGE_SEMITONES) {
      changes.push(round((previous.end + segment.start) / 2, 2));
    }
    previous = { median: medianHz, end: segment.end };
  }
  return changes;
}

/** The F0 timeline holds at most this many points: every 50 ms of speech up to 30 minutes of it, coarser beyond. */
export const MAX_F0_TIMELINE_POINTS = 36_000;
const F0_TIMELINE_FRAMES = 5;

/**
 * Every `every`-th frame inside speech, [time, Hz or 0]: every 5th (50 ms), or as many more
 * as keep a long file's timeline to MAX_F0_TIMELINE_POINTS (a multiple of 50 ms).
 */
export function f0Timeline(pitch: PitchTrack, segments: SpeechSegment[]): Array<[number, number]> {
  const spans = speechFrames(pitch, segments);
  const frames = spans.reduce((sum, [first, last]) => sum + last - first + 1, 0);
  const every = F0_TIMELINE_FRAMES * Math.max(1, Math.ceil(frames / F0_TIMELINE_FRAMES / MAX_F0_TIMELINE_POINTS));
  const samples: Array<[number, number]> = [];
  let span = 0;
  for (let index = 0; index < pitch.f0.length && span < spans.length; index += every) {
    while (span < spans.length && spans[span]![1] < index) span++;
    if (span < spans.length && index >= spans[span]![0]) samples.push([round(trackTime(pitch, index), 2), round(pitch.f0.get(index), 1)]);
  }
  return samples;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function roundOrNull(value: number | null, digits: number): number | null {
  return value === null || !Number.isFinite(value) ? null : round(value, digits);
}

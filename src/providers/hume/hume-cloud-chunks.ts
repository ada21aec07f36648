// Splits a 16 kHz mono recording into upload-sized pieces that are sample-contiguous (each
// starts where the last ended: no gap, no overlap) and end in a pause wherever there is one,
// so Hume's speech detection never sees an utterance cut in two. Pauses come from the local
// analyzer's voice activity detector, run only on the stretch before each size limit.

import { DEFAULT_ANALYSIS_OPTIONS, measureSpeech } from "../local/local-analyze.js";
import { HUME_CLOUD_SAMPLE_RATE } from "./hume-cloud-api.js";

export interface ChunkSpan {
  /** First sample (inclusive). */
  start: number;
  /** Last sample (exclusive). */
  end: number;
}

/** How far back from the size limit a cut may go looking for a pause. */
const SEARCH_SECONDS = 60;
/** A pause this long is enough; shorter gaps are used only when there is nothing better. */
const GOOD_PAUSE_SECONDS = 0.3;

/**
 * The cut point in `signal[from, to)`: the middle of the latest good pause, else of the longest
 * gap, else the quietest 10 ms (speech without a break). Returns an absolute sample index.
 */
function cutPoint(signal: Float32Array, from: number, to: number): number {
  const window = signal.subarray(from, to);
  const rate = HUME_CLOUD_SAMPLE_RATE;
  const { features, segments: speech } = measureSpeech(window, { ...DEFAULT_ANALYSIS_OPTIONS, minPauseSeconds: 0.1 });
  if (speech.length === 0) return to;
  const windowSeconds = window.length / rate;
  const gaps: Array<{ start: number; end: number }> = [];
  let previousEnd = 0;
  for (const segment of speech) {
    if (segment.start > previousEnd) gaps.push({ start: previousEnd, end: segment.start });
    previousEnd = Math.max(previousEnd, segment.end);
  }
  if (previousEnd < windowSeconds) gaps.push({ start: previousEnd, end: windowSeconds });
  const good = gaps.filter((gap) => gap.end - gap.start >= GOOD_PAUSE_SECONDS);
  const chosen = good.at(-1) ?? gaps.reduce<{ start: number; end: number } | undefined>((best, gap) => (!best || gap.end - gap.start > best.end - best.start ? gap : best), undefined);
  if (chosen) {
    // A trailing gap that reaches the limit is cut at the limit: all of its silence stays here.
    if (chosen.end >= windowSeconds) return to;
    return from + Math.round(((chosen.start + chosen.end) / 2) * rate);
  }
  let quietest = 0;
  for (let frame = 1; frame < features.count; frame++) if (features.energyDb.get(frame) < features.energyDb.get(quietest)) quietest = frame;
  return from + Math.round((quietest * features.hopSeconds + features.hopSeconds / 2) * rate);
}

/**
 * Plans the pieces of `signal`: none longer than `maxSamples`, together exactly [0, length).
 */
export function planChunks(signal: Float32Array, maxSamples: number): ChunkSpan[] {
  if (maxSamples < HUME_CLOUD_SAMPLE_RATE) throw new Error("a chunk must hold at least one second");
  const chunks: ChunkSpan[] = [];
  let start = 0;
  while (signal.length - start > maxSamples) {
    const limit = start + maxSamples;
    const searchFrom = Math.max(start + Math.floor(maxSamples / 2), limit - SEARCH_SECONDS * HUME_CLOUD_SAMPLE_RATE);
    let cut = cutPoint(signal, searchFrom, limit);
    if (cut <= start || cut > limit) cut = limit;
    chunks.push({ start, end: cut });
    start = cut;
  }
  chunks.push({ start, end: signal.length });
  return chunks;
}

// Speaking-rate proxy after de Jong & Wempe (2009): syllable nuclei are peaks of the
// intensity contour that stand at least 2 dB above the dips around them, lie no more than
// 25 dB under the recording's loud level, and are voiced (YIN found an F0 there).

import type { FrameFeatures, SpeechSegment } from "./local-vad.js";
import { frameTime } from "./local-vad.js";
import type { PitchTrack } from "./local-pitch.js";

const MIN_DIP_DB = 2;
const SILENCE_BELOW_LOUD_DB = 25;

/** Times (seconds) of syllable nuclei inside the speech segments. */
export function findSyllableNuclei(features: FrameFeatures, segments: SpeechSegment[], pitch: PitchTrack): number[] {
  const contour = features.bandDb;
  const sorted = Float32Array.from(contour).sort();
  const loud = sorted[Math.floor((sorted.length - 1) * 0.99)] ?? 0;
  const threshold = loud - SILENCE_BELOW_LOUD_DB;
  const nuclei: number[] = [];
  for (const segment of segments) {
    const first = Math.max(0, Math.ceil((segment.start * features.sampleRate - 256) / 160));
    const last = Math.min(features.count - 1, Math.floor((segment.end * features.sampleRate - 256) / 160));
    // Local maxima, then merge neighbours not separated by a dip of MIN_DIP_DB (keep the higher).
    const peaks: number[] = [];
    for (let frame = first + 1; frame < last; frame++) {
      const value = contour[frame]!;
      if (value > contour[frame - 1]! && value >= contour[frame + 1]!) peaks.push(frame);
    }
    const kept: number[] = [];
    for (const peak of peaks) {
      const previous = kept[kept.length - 1];
      if (previous === undefined) {
        kept.push(peak);
        continue;
      }
      let dip = Number.POSITIVE_INFINITY;
      for (let frame = previous; frame <= peak; frame++) dip = Math.min(dip, contour[frame]!);
      if (Math.min(contour[previous]!, contour[peak]!) - dip >= MIN_DIP_DB) kept.push(peak);
      else if (contour[peak]! > contour[previous]!) kept[kept.length - 1] = peak;
    }
    for (const peak of kept) {
      if (contour[peak]! < threshold) continue;
      const time = frameTime(peak, features.sampleRate);
      if (isVoiced(pitch, time)) nuclei.push(time);
    }
  }
  return nuclei;
}

/** Whether the pitch frame nearest `time` (within 20 ms) is voiced. Pitch times are sorted. */
function isVoiced(pitch: PitchTrack, time: number): boolean {
  let low = 0;
  let high = pitch.times.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (pitch.times[middle]! < time) low = middle + 1;
    else high = middle;
  }
  for (const index of [low - 1, low]) {
    if (index >= 0 && index < pitch.times.length && Math.abs(pitch.times[index]! - time) <= 0.02 && pitch.f0[index]! > 0) return true;
  }
  return false;
}

// Syllable nuclei after de Jong & Wempe (2009), "Praat script to detect syllable nuclei and
// measure speech rate automatically": peaks of the intensity contour that stand above a
// threshold 25 dB under the recording's loud level (its 0.99 quantile), are followed by a dip
// of at least 2 dB before the next peak, and are voiced (the pitch track has an F0 there).
// The intensity contour is the 10 ms frame energy (32 ms Hann frames) smoothed over its
// neighbours: about the span of Praat's To Intensity with a 50 Hz pitch floor (a 64 ms
// Kaiser-20 window, whose weight sits mostly in its middle 30 ms).

import type { PitchTrack } from "./local-pitch.js";
import type { FrameFeatures, SpeechSegment } from "./local-vad.js";
import { frameTime } from "./local-vad.js";

const SILENCE_BELOW_LOUD_DB = 25;
const MIN_DIP_DB = 2;
/** Weights of neighbouring 32 ms frames (10 ms apart) making up the intensity window. */
const SMOOTHING = [0.5, 1, 0.5];

/** The intensity contour, dB per frame: frame energy averaged with its neighbours. */
export function intensityContour(features: FrameFeatures): Float32Array {
  const contour = new Float32Array(features.count);
  const half = (SMOOTHING.length - 1) / 2;
  for (let frame = 0; frame < features.count; frame++) {
    let power = 0;
    let weight = 0;
    for (let offset = -half; offset <= half; offset++) {
      const neighbour = frame + offset;
      if (neighbour < 0 || neighbour >= features.count) continue;
      const w = SMOOTHING[offset + half]!;
      power += w * 10 ** (features.energyDb[neighbour]! / 10);
      weight += w;
    }
    contour[frame] = 10 * Math.log10(power / weight + 1e-12);
  }
  return contour;
}

/** Times (seconds) of syllable nuclei inside the speech segments. */
export function findSyllableNuclei(features: FrameFeatures, segments: SpeechSegment[], pitch: PitchTrack): number[] {
  if (features.count < 3 || segments.length === 0) return [];
  const contour = intensityContour(features);
  const sorted = Float32Array.from(contour).sort();
  const threshold = Math.max(sorted[0]!, sorted[Math.floor((sorted.length - 1) * 0.99)]! - SILENCE_BELOW_LOUD_DB);
  const peaks: number[] = [];
  for (let frame = 1; frame < features.count - 1; frame++) {
    const value = contour[frame]!;
    if (value > threshold && value > contour[frame - 1]! && value >= contour[frame + 1]!) peaks.push(frame);
  }
  const nuclei: number[] = [];
  let segment = 0;
  for (const [index, peak] of peaks.entries()) {
    // The dip that follows: down to the next peak, or to the end of the contour after the last.
    const until = peaks[index + 1] ?? features.count - 1;
    let dip = Number.POSITIVE_INFINITY;
    for (let frame = peak; frame <= until; frame++) dip = Math.min(dip, contour[frame]!);
    if (contour[peak]! - dip <= MIN_DIP_DB) continue;
    const time = frameTime(peak, features.sampleRate);
    while (segment < segments.length && segments[segment]!.end < time) segment++;
    if (segment >= segments.length || time < segments[segment]!.start) continue;
    if (isVoiced(pitch, time)) nuclei.push(time);
  }
  return nuclei;
}

/** Whether a pitch frame within 20 ms of `time` is voiced. */
function isVoiced(pitch: PitchTrack, time: number): boolean {
  const nearest = Math.round((time - pitch.start) / pitch.step);
  for (let index = nearest - 2; index <= nearest + 2; index++) {
    if (index >= 0 && index < pitch.f0.length && Math.abs(pitch.start + index * pitch.step - time) <= 0.02 + 1e-9 && pitch.f0[index]! > 0) return true;
  }
  return false;
}

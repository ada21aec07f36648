// Syllable nuclei after de Jong & Wempe (2009), "Praat script to detect syllable nuclei and
// measure speech rate automatically": peaks of the intensity contour that stand above a
// threshold 25 dB under the recording's loud level (its 0.99 quantile), are followed by a dip
// of at least 2 dB before the next peak, and are voiced (the pitch track has an F0 there).
// The intensity contour is the 10 ms frame energy (32 ms Hann frames) smoothed over its
// neighbours: about the span of Praat's To Intensity with a 50 Hz pitch floor (a 64 ms
// Kaiser-20 window, whose weight sits mostly in its middle 30 ms). The contour is computed
// as it is read, pass by pass over the frame energies: nothing as long as the file is held.

import { orderStatistics } from "./local-frames.js";
import type { PitchTrack } from "./local-pitch.js";
import type { FrameFeatures, SpeechSegment } from "./local-vad.js";
import { frameTime } from "./local-vad.js";

const SILENCE_BELOW_LOUD_DB = 25;
const MIN_DIP_DB = 2;
/** Weights of neighbouring 32 ms frames (10 ms apart) making up the intensity window. */
const SMOOTHING = [0.5, 1, 0.5] as const;

/** Hands over the intensity contour, dB per frame in order: frame energy averaged with its neighbours. */
export function eachIntensity(features: FrameFeatures, take: (frame: number, db: number) => void): void {
  const { count, energyDb } = features;
  const power = (frame: number) => 10 ** (energyDb.get(frame) / 10);
  let previous = 0;
  let current = count > 0 ? power(0) : 0;
  for (let frame = 0; frame < count; frame++) {
    const next = frame + 1 < count ? power(frame + 1) : 0;
    let sum = 0;
    let weight = 0;
    if (frame > 0) (sum += SMOOTHING[0] * previous), (weight += SMOOTHING[0]);
    sum += SMOOTHING[1] * current;
    weight += SMOOTHING[1];
    if (frame + 1 < count) (sum += SMOOTHING[2] * next), (weight += SMOOTHING[2]);
    take(frame, Math.fround(10 * Math.log10(sum / weight + 1e-12)));
    previous = current;
    current = next;
  }
}

/** The intensity contour as an array (short signals, tests). */
export function intensityContour(features: FrameFeatures): Float32Array {
  const contour = new Float32Array(features.count);
  eachIntensity(features, (frame, db) => (contour[frame] = db));
  return contour;
}

/** Times (seconds) of syllable nuclei inside the speech segments. */
export function findSyllableNuclei(features: FrameFeatures, segments: SpeechSegment[], pitch: PitchTrack): number[] {
  const count = features.count;
  if (count < 3 || segments.length === 0) return [];
  const [lowest, loud] = orderStatistics(count, (take) => eachIntensity(features, (_, db) => take(db)), [0, Math.floor((count - 1) * 0.99)]) as [number, number];
  const threshold = Math.max(lowest, loud - SILENCE_BELOW_LOUD_DB);
  const nuclei: number[] = [];
  let segment = 0;
  // A peak is judged once the dip after it is known: at the next peak, or at the contour's end.
  let pending = -1;
  let pendingValue = 0;
  let dip = Number.POSITIVE_INFINITY;
  const judge = () => {
    if (pending < 0 || pendingValue - dip <= MIN_DIP_DB) return;
    const time = frameTime(pending, features.sampleRate);
    while (segment < segments.length && segments[segment]!.end < time) segment++;
    if (segment >= segments.length || time < segments[segment]!.start) return;
    if (isVoiced(pitch, time)) nuclei.push(time);
  };
  let before = Number.NaN;
  let candidate = Number.NaN;
  eachIntensity(features, (frame, value) => {
    // `candidate` is frame - 1's value: a peak when above the threshold and both neighbours.
    if (frame >= 2 && candidate > threshold && candidate > before && candidate >= value) {
      judge();
      pending = frame - 1;
      pendingValue = candidate;
      dip = candidate;
    }
    if (pending >= 0) dip = Math.min(dip, value);
    before = candidate;
    candidate = value;
  });
  judge();
  return nuclei;
}

/** Whether a pitch frame within 20 ms of `time` is voiced. */
function isVoiced(pitch: PitchTrack, time: number): boolean {
  const nearest = Math.round((time - pitch.start) / pitch.step);
  for (let index = nearest - 2; index <= nearest + 2; index++) {
    if (index >= 0 && index < pitch.f0.length && Math.abs(pitch.start + index * pitch.step - time) <= 0.02 + 1e-9 && pitch.f0.get(index) > 0) return true;
  }
  return false;
}

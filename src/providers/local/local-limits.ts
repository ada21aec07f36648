// How much audio one file may hold for the local analyzer. It decodes and analyses in blocks,
// but its per-frame features and contours still grow with the length: measured peaks are
// ~155 MB for 1 h and ~290 MB for a 3 h WAV (`npm run bench`), whatever the file's own size (a 20 MB 8-bit 1 kHz WAV is 5.8 h; a 2 GB
// sparse WAV of silence is 18.6 h). A file longer than the limit is refused up front, from
// the length its headers state, instead of taking the machine's memory.

import { AudioDecodeError } from "./local-errors.js";

/** Peak memory: a fixed base plus growth per hour of audio (from the bench's 1 h and 3 h peaks, rounded up). */
export const ANALYSIS_BASE_MB = 100;
export const ANALYSIS_MB_PER_HOUR = 70;

/** The refusal for a file over `maxSeconds`, or undefined when it fits (or its length is unknown). */
export function overLengthLimit(name: string, seconds: number | undefined, maxSeconds: number | undefined): AudioDecodeError | undefined {
  if (seconds === undefined || maxSeconds === undefined || maxSeconds <= 0 || seconds <= maxSeconds) return undefined;
  const hours = (value: number) => `${(value / 3600).toFixed(value < 36_000 ? 1 : 0)} h`;
  return new AudioDecodeError(
    `${name} is ${hours(seconds)} of audio, over the local analyzer's limit of ${hours(maxSeconds)} (MEDIA_JOBS_MAX_ANALYSIS_HOURS): its memory grows about ${ANALYSIS_MB_PER_HOUR} MB per hour of audio, so about ${Math.round(ANALYSIS_BASE_MB + (seconds / 3600) * ANALYSIS_MB_PER_HOUR)} MB for this file; split the file, or raise the limit if this machine has the memory`,
    "too_long",
  );
}

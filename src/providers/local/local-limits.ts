// How much audio one file may hold for the local analyzer. It decodes and analyses in blocks
// and keeps only compact per-frame values (9 bytes per 10 ms, plus 8 per 100 ms for loudness
// gating), so its memory grows slowly with the length: measured peaks (`npm run bench`, Node
// 24, through the worker) are 142–171 MB for 1 h and 3 h, 172–203 MB for 10 h of WAV and
// 173–175 MB for 10 h of Opus over two runs (the base varies with garbage-collection timing
// more than with length),
// whatever the file's own size (a 20 MB 8-bit 1 kHz WAV is 5.8 h; a 2 GB sparse WAV of
// silence is 18.6 h). A file longer than the limit (MEDIA_JOBS_MAX_ANALYSIS_HOURS, 20 h by
// default: at most about 250 MB by the estimate below) is refused up front, from the length
// its headers state, and any file stops decoding at the limit.

import { AudioDecodeError } from "./local-errors.js";

/** Peak memory, conservatively: a fixed base plus growth per hour of audio (over the bench's 1 h, 3 h and 10 h peaks). */
export const ANALYSIS_BASE_MB = 170;
export const ANALYSIS_MB_PER_HOUR = 4;

/** The refusal for a file over `maxSeconds`, or undefined when it fits (or its length is unknown). */
export function overLengthLimit(name: string, seconds: number | undefined, maxSeconds: number | undefined): AudioDecodeError | undefined {
  if (seconds === undefined || maxSeconds === undefined || maxSeconds <= 0 || seconds <= maxSeconds) return undefined;
  const hours = (value: number) => `${(value / 3600).toFixed(value < 36_000 ? 1 : 0)} h`;
  return new AudioDecodeError(
    `${name} is ${hours(seconds)} of audio, over the local analyzer's limit of ${hours(maxSeconds)} (MEDIA_JOBS_MAX_ANALYSIS_HOURS): it needs about ${ANALYSIS_BASE_MB} MB plus ${ANALYSIS_MB_PER_HOUR} MB per hour of audio, so about ${Math.round(ANALYSIS_BASE_MB + (seconds / 3600) * ANALYSIS_MB_PER_HOUR)} MB for this file; split the file, or raise the limit`,
    "too_long",
  );
}

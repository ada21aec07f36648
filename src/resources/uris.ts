// Resource URIs. Job ids contain ":" (provider:native id), which is legal in a URI path.

export const JOB_URI_PREFIX = "media-jobs://jobs/";

export function jobUri(jobId: string): string {
  return `${JOB_URI_PREFIX}${encodeURIComponent(jobId).replace(/%3A/gi, ":")}`;
}

export function resultUri(jobId: string): string {
  return `${jobUri(jobId)}/result`;
}

export function partUri(jobId: string, part: string): string {
  return `${jobUri(jobId)}/parts/${encodeURIComponent(part)}`;
}

/** Chunk `index` (0-based) of a stored part too large for one message. */
export function chunkUri(jobId: string, part: string, index: number): string {
  return `${partUri(jobId, part)}/chunks/${index}`;
}

export const VOICEPRINTS_URI = "media-jobs://voiceprints";

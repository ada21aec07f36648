// Large stored results are read in chunks: one resource message must stay far below what
// clients accept (the SDK's stdio client gives up on a message over 10 MiB; a 1-hour Hume job's
// predictions are ~38 MB). A part is cut into byte ranges of RESULT_CHUNK_BYTES; text parts at
// UTF-8 character boundaries, so each chunk is valid text and the chunks concatenate to the part.

import { formatCount } from "../condense/format.js";

/**
 * 1 MiB of stored bytes per chunk. Serialized into JSON-RPC, text can grow by its escapes
 * (a quote becomes \", a control character \u00XX): at most 6×, still under 10 MiB; base64
 * grows by 4/3.
 */
export const RESULT_CHUNK_BYTES = 1024 * 1024;

/** How many chunks a part of `bytes` is read in (1 for a part that fits in one). */
export function chunkCount(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / RESULT_CHUNK_BYTES));
}

/** The byte where chunk `index` starts: the nominal offset, moved back to a character start in text. */
function chunkStart(data: Buffer, index: number, text: boolean): number {
  let start = Math.min(index * RESULT_CHUNK_BYTES, data.length);
  // UTF-8 continuation bytes are 10xxxxxx; a character starts on any other byte (≤ 3 back).
  if (text) while (start > 0 && start < data.length && (data[start]! & 0xc0) === 0x80) start--;
  return start;
}

/** Chunk `index` of a stored part, or undefined past the last one. */
export function chunkOf(data: Buffer, index: number, text: boolean): Buffer | undefined {
  if (!Number.isInteger(index) || index < 0 || index >= chunkCount(data.length)) return undefined;
  return data.subarray(chunkStart(data, index, text), chunkStart(data, index + 1, text));
}

/** "38.2 MB in 37 chunks of ≤ 1 MiB" — for descriptions and get_predictions. */
export function describeChunking(bytes: number): string {
  const size = bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${formatCount(bytes)} bytes`;
  const chunks = chunkCount(bytes);
  return chunks > 1 ? `${size}, read in ${chunks} chunks of ≤ 1 MiB` : size;
}

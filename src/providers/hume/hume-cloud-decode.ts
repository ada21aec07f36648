// Any audio the local analyzer reads → the one format Hume's audio endpoint takes: mono at
// 16 kHz (written as PCM16 later, piece by piece). The local decoder and resampler do the
// work; nothing here measures loudness or pitch, so a long file decodes at full speed.

import { monoBlocks } from "../local/local-analyze.js";
import { openAudioSource } from "../local/local-decode.js";
import { AudioDecodeError } from "../local/local-errors.js";

/** The whole recording as 16 kHz mono samples (the local analyzer's mix). Stops early when `signal` aborts. */
export async function decodeMono16k(path: string, name: string, signal?: AbortSignal): Promise<Float32Array> {
  const source = await openAudioSource(path, name);
  try {
    const blocks: Float32Array[] = [];
    let total = 0;
    for await (const block of monoBlocks(source)) {
      if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
      blocks.push(block);
      total += block.length;
    }
    if (total === 0) throw new AudioDecodeError(`${name} holds no audio samples (${source.description}, 0 s)`);
    const mono = new Float32Array(total);
    let offset = 0;
    for (const block of blocks) {
      mono.set(block, offset);
      offset += block.length;
    }
    return mono;
  } finally {
    await source.close();
  }
}

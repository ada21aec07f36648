// Any audio the local analyzer reads → the one format Hume's audio endpoint takes: mono at
// 16 kHz (written as PCM16 later, piece by piece). The local decoder and resampler do the
// work; nothing here measures loudness or pitch, so a long file decodes at full speed.

import { openAudioSource } from "../local/local-decode.js";
import { AudioDecodeError } from "../local/local-errors.js";
import { mixToMono, SampleAccumulator, StreamingResampler } from "../local/local-resample.js";
import { HUME_CLOUD_SAMPLE_RATE } from "./hume-cloud-api.js";

/** The whole recording as 16 kHz mono samples (channels averaged). Stops early when `signal` aborts. */
export async function decodeMono16k(path: string, name: string, signal?: AbortSignal): Promise<Float32Array> {
  const source = await openAudioSource(path, name);
  try {
    let resampler: StreamingResampler | undefined;
    let accumulator: SampleAccumulator | undefined;
    let rate = 0;
    for await (const chunk of source.chunks()) {
      if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
      if (!resampler || !accumulator) {
        rate = chunk.sampleRate;
        resampler = new StreamingResampler(rate, HUME_CLOUD_SAMPLE_RATE);
        accumulator = new SampleAccumulator(((source.estimatedSeconds ?? 60) + 1) * HUME_CLOUD_SAMPLE_RATE);
      }
      if (chunk.sampleRate !== rate) {
        throw new AudioDecodeError(`${name} changes sample rate mid-stream (${rate} → ${chunk.sampleRate} Hz), which the decoder does not handle`, "unsupported_format");
      }
      accumulator.append(resampler.push(mixToMono(chunk.channels)));
    }
    if (!resampler || !accumulator) throw new AudioDecodeError(`${name} holds no audio samples (${source.description}, 0 s)`);
    accumulator.append(resampler.flush());
    return accumulator.view();
  } finally {
    await source.close();
  }
}

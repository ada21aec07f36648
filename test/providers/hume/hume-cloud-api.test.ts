// The readers of Hume's current-API answers accept both plausible envelopes, ignore unknown
// fields and name a missing required field; the piece planner covers a recording exactly.

import { describe, expect, it } from "vitest";
import { CloudShapeError, readCloudAudioAnswer, readCloudImageAnswer } from "../../../src/providers/hume/hume-cloud-api.js";
import { planChunks } from "../../../src/providers/hume/hume-cloud-chunks.js";
import { buildMultipart, multipartOverhead, pcm16Wav } from "../../../src/providers/hume/hume-cloud-multipart.js";

const measurement = (start: number, end: number, name: string, probability: number, extra: Record<string, unknown> = {}) => ({
  trigger: "interval",
  audio_start_ms: start,
  audio_end_ms: end,
  expressions: [{ name, probability }],
  voice_attributes: [{ name: "clear", probability: 0.9 }],
  ...extra,
});

describe("readCloudAudioAnswer", () => {
  const nested = {
    run_id: "r1",
    utterances: [
      { audio_start_ms: 420, audio_end_ms: 6180, measurements: [measurement(420, 3420, "interest", 0.62), measurement(420, 6180, "joy", 0.33, { trigger: "speech_ended" })] },
      { audio_start_ms: 7900, audio_end_ms: 9000, measurements: [measurement(7900, 9000, "neutral", 0.44)], some_future_field: { x: 1 } },
    ],
    future_top_level: true,
  };

  it("reads measurements nested in utterances and the same answer as a top-level list", () => {
    const flat = {
      run_id: "r1",
      utterances: [
        { utterance_id: "a", audio_start_ms: 420, audio_end_ms: 6180 },
        { utterance_id: "b", audio_start_ms: 7900, audio_end_ms: 9000 },
      ],
      measurements: [
        { utterance_id: "a", ...measurement(420, 3420, "interest", 0.62) },
        { utterance_id: "a", ...measurement(420, 6180, "joy", 0.33, { trigger: "speech_ended" }) },
        { utterance_id: "b", ...measurement(7900, 9000, "neutral", 0.44) },
      ],
    };
    const fromNested = readCloudAudioAnswer(nested);
    expect(fromNested.utterances.map((utterance) => utterance.measurements.length)).toEqual([2, 1]);
    expect(fromNested.utterances[0]!.measurements[1]).toEqual({ trigger: "speech_ended", startMs: 420, endMs: 6180, expressions: [["joy", 0.33]], voiceAttributes: [["clear", 0.9]] });
    expect(readCloudAudioAnswer(flat)).toEqual(fromNested);
    // Unreferenced top-level measurements are placed by span; a `result` wrapper is looked into.
    const bySpan = { result: { utterances: flat.utterances.map(({ utterance_id: _, ...rest }) => rest), measurements: flat.measurements.map(({ utterance_id: _, ...rest }) => rest) } };
    expect(readCloudAudioAnswer(bySpan).utterances).toEqual(fromNested.utterances);
  });

  it("derives an utterance's span from its measurements when the span fields are absent", () => {
    const answer = readCloudAudioAnswer({ utterances: [{ measurements: [measurement(1000, 4000, "joy", 0.5), measurement(1000, 5500, "joy", 0.6)] }] });
    expect(answer.utterances[0]).toMatchObject({ startMs: 1000, endMs: 5500 });
  });

  it("names the missing required field instead of guessing", () => {
    const broken = { utterances: [{ audio_start_ms: 0, audio_end_ms: 10, measurements: [{ trigger: "interval", audio_start_ms: 0, expressions: [] }] }] };
    expect(() => readCloudAudioAnswer(broken)).toThrow(new CloudShapeError("utterances[0].measurements[0].audio_end_ms is missing"));
    expect(() => readCloudAudioAnswer({ run_id: "x" })).toThrow(/no utterances/);
    expect(() => readCloudAudioAnswer({ utterances: [{ measurements: [{ audio_start_ms: 0, audio_end_ms: 5 }] }] })).toThrow(/measurements\[0\]\.expressions is missing/);
  });
});

describe("readCloudImageAnswer", () => {
  it("reads one result per image with box shapes as objects or arrays, and unmeasured faces as null scores", () => {
    const answer = readCloudImageAnswer(
      {
        results: [
          {
            faces: [
              { face_id: 1, bounding_box: { x: 1, y: 2, width: 30, height: 40 }, confidence: 0.99, expressions: [{ name: "joy", probability: 0.5 }], descriptions: [{ name: "smile", probability: 0.8 }] },
              { face_id: null, bbox: [5, 6, 7, 8], detection_confidence: 0.93, expressions: null, descriptions: null },
            ],
          },
          { faces: [] },
        ],
      },
      2,
    );
    expect(answer.images[0]!.faces).toEqual([
      { faceId: "1", box: [1, 2, 30, 40], confidence: 0.99, expressions: [["joy", 0.5]], descriptions: [["smile", 0.8]] },
      { faceId: null, box: [5, 6, 7, 8], confidence: 0.93, expressions: null, descriptions: null },
    ]);
    expect(() => readCloudImageAnswer({ results: [{ faces: [] }] }, 2)).toThrow(/1 entries for 2 images/);
  });
});

describe("planChunks", () => {
  it("covers the signal exactly, each piece within the limit, cut inside pauses", () => {
    const rate = 16_000;
    // 5 s bursts separated by 1.5 s pauses, for 3 minutes.
    const signal = new Float32Array(180 * rate);
    for (let index = 0; index < signal.length; index++) {
      const t = index / rate;
      if (t % 6.5 < 5) signal[index] = 0.3 * Math.sin(2 * Math.PI * 300 * t);
    }
    for (const maxSeconds of [20, 37, 61]) {
      const chunks = planChunks(signal, maxSeconds * rate);
      expect(chunks[0]!.start).toBe(0);
      expect(chunks.at(-1)!.end).toBe(signal.length);
      chunks.forEach((chunk, index) => {
        expect(chunk.end - chunk.start).toBeLessThanOrEqual(maxSeconds * rate);
        expect(chunk.end).toBeGreaterThan(chunk.start);
        if (index > 0) expect(chunk.start).toBe(chunks[index - 1]!.end);
        if (index < chunks.length - 1) {
          // The cut sits in a pause: no signal within 0.2 s either side.
          const around = signal.subarray(chunk.end - 0.2 * rate, chunk.end + 0.2 * rate);
          expect(Math.max(...around.map(Math.abs))).toBe(0);
        }
      });
    }
  });

  it("cuts continuous sound at the limit and never returns an empty piece", () => {
    const signal = new Float32Array(50 * 16_000).map((_, index) => 0.2 * Math.sin(index / 5));
    const chunks = planChunks(signal, 20 * 16_000);
    expect(chunks.map((chunk) => chunk.end - chunk.start).reduce((a, b) => a + b, 0)).toBe(signal.length);
    expect(chunks.every((chunk) => chunk.end > chunk.start && chunk.end - chunk.start <= 20 * 16_000)).toBe(true);
  });
});

describe("request bytes", () => {
  it("writes an exact PCM16/16 kHz/mono header and a body whose size the plan predicts", () => {
    const wav = Buffer.from(pcm16Wav(new Float32Array([0, 0.5, -1, 1, -0.25])));
    expect(wav.length).toBe(44 + 10);
    expect([wav.toString("latin1", 0, 4), wav.readUInt32LE(4), wav.toString("latin1", 8, 16), wav.readUInt32LE(16), wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt32LE(28), wav.readUInt16LE(32), wav.readUInt16LE(34), wav.toString("latin1", 36, 40), wav.readUInt32LE(40)]).toEqual([
      "RIFF", 46, "WAVEfmt ", 16, 1, 1, 16_000, 32_000, 2, 16, "data", 10,
    ]);
    expect([1, 2, 3, 4, 5].map((position) => wav.readInt16LE(42 + position * 2))).toEqual([0, 16384, -32768, 32767, -8192]);
    const files = [{ filename: "chunk-0001.wav", contentType: "audio/wav", data: wav }];
    const { body } = buildMultipart("b0undary", files, { measurement_timer_ms: 3000 });
    expect(body.length).toBe(wav.length + multipartOverhead("b0undary", files, { measurement_timer_ms: 3000 }));
  });
});

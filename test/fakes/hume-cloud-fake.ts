// A strict loopback fake of Hume's current Expression Measurement API (api.cloud.hume.ai):
// POST /v1/expression/audio/file and /v1/expression/video/file as documented (see
// docs/hume-current-api-notes.md). Every request is validated: only `X-Hume-Api-Key` as
// credential, the whole multipart body ≤ 25,000,000 bytes, only `file` and `config` parts, a WAV
// that is exactly PCM16/16 kHz/mono, config ranges, JPEG magic and per-image limits. Scores
// are derived from the audio (level and zero-crossing rate of each measured span), so a test
// can compute what the merged result must be from what the fake answered. Faults (429 with
// Retry-After, 5xx) come from FakeServer.injectFault; `holdAudioAfter(n)` keeps requests past
// the n-th waiting, for restart tests.

import { createHash, randomUUID } from "node:crypto";
import { FakeServer, type FakeReply, type RecordedRequest } from "./fake-server.js";

export const CLOUD_MAX_BODY = 25_000_000;
export const CLOUD_MAX_IMAGE = 2_000_000;
export const CLOUD_MAX_PIXELS = 8_294_400;
export const AUDIO_PATH = "/v1/expression/audio/file";
export const IMAGE_PATH = "/v1/expression/video/file";

export const FAKE_EXPRESSIONS = ["interest", "amusement", "calmness", "neutral", "joy", "pondering", "admiration", "boredom"] as const;
export const FAKE_VOICE = ["clear", "calm", "monotone", "breathy", "loud"] as const;
export const FAKE_FACE_EXPRESSIONS = ["amusement", "joy", "interest", "concentration", "contemplation", "surprise (positive)"] as const;
export const FAKE_DESCRIPTIONS = ["smile", "grin", "frown", "jaw drop"] as const;

export interface FakeMeasurement {
  trigger: "interval" | "speech_ended";
  audio_start_ms: number;
  audio_end_ms: number;
  expressions: Array<{ name: string; probability: number }>;
  voice_attributes: Array<{ name: string; probability: number }>;
}

export interface FakeUtterance {
  audio_start_ms: number;
  audio_end_ms: number;
  measurements: FakeMeasurement[];
}

export interface AudioCall {
  samples: Int16Array;
  timerMs: number;
  /** What the fake answered (undefined while held, or if the client went away first). */
  response?: { run_id: string; utterances: FakeUtterance[] };
  answered: boolean;
}

export interface ImageCall {
  images: Buffer[];
  config?: unknown;
  answered: boolean;
}

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

const round4 = (value: number) => Math.round(value * 10_000) / 10_000;
const clamp01 = (value: number) => Math.max(0, Math.min(1, value));

/** Scores of one span: a function of its level and zero-crossing rate only. */
export function scoreSpan(samples: Int16Array): { expressions: FakeMeasurement["expressions"]; voice: FakeMeasurement["voice_attributes"] } {
  let energy = 0;
  let crossings = 0;
  for (let index = 0; index < samples.length; index++) {
    energy += samples[index]! * samples[index]!;
    if (index > 0 && samples[index - 1]! < 0 !== samples[index]! < 0) crossings++;
  }
  const rms = samples.length > 0 ? Math.sqrt(energy / samples.length) / 32768 : 0;
  // Zero crossings per second / 2 ≈ the dominant frequency; in kHz.
  const kHz = samples.length > 1 ? (crossings / (samples.length / 16_000) / 2) / 1000 : 0;
  const raw: Record<string, number> = {
    interest: clamp01(0.15 + 0.7 * kHz),
    amusement: clamp01(0.85 - 0.9 * kHz),
    calmness: clamp01(0.7 - 2.5 * rms),
    neutral: 0.3,
    joy: clamp01(3 * rms),
    pondering: clamp01(0.5 - Math.abs(kHz - 0.4)),
    admiration: clamp01(0.4 * Math.sin(kHz * 7) + 0.2),
    boredom: clamp01(0.05 + 0.02 * kHz),
  };
  const voiceRaw: Record<string, number> = {
    clear: clamp01(0.6 + 0.4 * kHz),
    calm: clamp01(0.9 - 2 * rms),
    monotone: clamp01(0.3 + 0.1 * Math.cos(kHz * 5)),
    breathy: 0.05,
    loud: clamp01(4 * rms - 0.2),
  };
  const above = (table: Record<string, number>, cutoff: number) =>
    Object.entries(table)
      .map(([name, value]) => ({ name, probability: round4(value) }))
      .filter((entry) => entry.probability >= cutoff)
      .sort((a, b) => b.probability - a.probability);
  // Per-array cut-offs, as Hume returns only scores above each array's own.
  return { expressions: above(raw, 0.1), voice: above(voiceRaw, 0.08) };
}

/** Utterances as the fake's speech detector sees them: 10 ms frames above an RMS of 300. */
export function fakeUtterances(samples: Int16Array, timerMs: number): FakeUtterance[] {
  const frame = 160;
  const frames = Math.floor(samples.length / frame);
  const spans: Array<[number, number]> = [];
  for (let index = 0; index < frames; index++) {
    let energy = 0;
    for (let offset = 0; offset < frame; offset++) energy += samples[index * frame + offset]! ** 2;
    if (Math.sqrt(energy / frame) <= 300) continue;
    const last = spans.at(-1);
    if (last && index - last[1] <= 30) last[1] = index + 1;
    else spans.push([index, index + 1]);
  }
  const utterances: FakeUtterance[] = [];
  for (const [first, end] of spans) {
    if (end - first < 10) continue;
    const startMs = first * 10;
    const endMs = end * 10;
    const measurements: FakeMeasurement[] = [];
    const measure = (trigger: FakeMeasurement["trigger"], to: number) => {
      const from = Math.max(startMs, to - 10_000);
      const { expressions, voice } = scoreSpan(samples.subarray(from * 16, to * 16));
      measurements.push({ trigger, audio_start_ms: from, audio_end_ms: to, expressions, voice_attributes: voice });
    };
    for (let at = startMs + timerMs; at < endMs; at += timerMs) measure("interval", at);
    const lastEnd = measurements.at(-1)?.audio_end_ms;
    if (lastEnd === undefined || endMs - lastEnd >= 1000) measure("speech_ended", endMs);
    utterances.push({ audio_start_ms: startMs, audio_end_ms: endMs, measurements });
  }
  return utterances;
}

function parseMultipart(request: RecordedRequest): Part[] | string {
  const type = String(request.headers["content-type"] ?? "");
  const match = /^multipart\/form-data;\s*boundary=("?)([^";]+)\1$/i.exec(type);
  if (!match) return "Content-Type must be multipart/form-data with a boundary";
  const delimiter = Buffer.from(`--${match[2]}`);
  const body = request.body;
  const parts: Part[] = [];
  let position = body.indexOf(delimiter);
  if (position !== 0) return "the body must start with the boundary";
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 4).toString() === "--\r\n" || body.subarray(position, position + 2).toString() === "--") break;
    if (body.subarray(position, position + 2).toString() !== "\r\n") return "malformed boundary line";
    position += 2;
    const headerEnd = body.indexOf("\r\n\r\n", position);
    if (headerEnd < 0) return "part without headers";
    const headers = body.subarray(position, headerEnd).toString("utf8").split("\r\n");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next < 0) return "part without a closing boundary";
    const data = body.subarray(headerEnd + 4, next);
    const disposition = headers.find((line) => /^content-disposition:/i.test(line)) ?? "";
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    if (!name) return "part without a name";
    parts.push({
      name,
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1],
      contentType: headers.find((line) => /^content-type:/i.test(line))?.split(":")[1]?.trim(),
      data,
    });
    position = next + 2;
  }
  return parts;
}

function vendorError(status: number, code: string, message: string): FakeReply {
  return { status, body: { type: "error", code, message, request_id: randomUUID().replace(/-/g, "") } };
}

/** The WAV's samples when its header is exactly s16le/16 kHz/mono with one data chunk. */
function strictWav(data: Buffer): Int16Array | string {
  if (data.length < 44) return "the WAV file is shorter than its header";
  const text = (offset: number) => data.subarray(offset, offset + 4).toString("latin1");
  if (text(0) !== "RIFF" || text(8) !== "WAVE" || text(12) !== "fmt ") return "not a RIFF/WAVE file with fmt first";
  if (data.readUInt32LE(4) !== data.length - 8) return "RIFF size does not match the file";
  if (data.readUInt32LE(16) !== 16 || data.readUInt16LE(20) !== 1) return "audio must be PCM (format 1, 16-byte fmt chunk)";
  if (data.readUInt16LE(22) !== 1) return "audio must have 1 channel";
  if (data.readUInt32LE(24) !== 16_000) return "audio must be sampled at 16,000 Hz";
  if (data.readUInt32LE(28) !== 32_000 || data.readUInt16LE(32) !== 2 || data.readUInt16LE(34) !== 16) return "audio must be 16-bit";
  if (text(36) !== "data" || data.readUInt32LE(40) !== data.length - 44) return "the data chunk must hold the rest of the file";
  const samples = new Int16Array((data.length - 44) / 2);
  for (let index = 0; index < samples.length; index++) samples[index] = data.readInt16LE(44 + index * 2);
  return samples;
}

function jpegPixels(data: Buffer): number | undefined {
  let offset = 2;
  while (offset + 9 < data.length) {
    if (data[offset] !== 0xff) return undefined;
    const marker = data[offset + 1]!;
    const length = data.readUInt16BE(offset + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return data.readUInt16BE(offset + 5) * data.readUInt16BE(offset + 7);
    offset += 2 + length;
  }
  return undefined;
}

/** A tiny structurally valid JPEG (SOI, COM "faces=N", SOF0 with the size, EOI) for tests. */
export function makeTestJpeg(options: { width: number; height: number; faces: number; padding?: number; seed?: string }): Buffer {
  const comment = Buffer.from(`faces=${options.faces};seed=${options.seed ?? ""}`);
  const com = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from([(comment.length + 2) >> 8, (comment.length + 2) & 0xff]), comment]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, options.height >> 8, options.height & 0xff, options.width >> 8, options.width & 0xff, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  const padding = Buffer.alloc(options.padding ?? 0, 0x00);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), com, sof, padding, Buffer.from([0xff, 0xd9])]);
}

/** Faces the fake "sees" in an image: the count from its COM segment, scores from its hash. */
export function fakeFaces(image: Buffer): Array<Record<string, unknown>> {
  const count = Number(/faces=(\d+)/.exec(image.toString("latin1"))?.[1] ?? 0);
  const hash = createHash("sha256").update(image).digest();
  const faces: Array<Record<string, unknown>> = [];
  for (let index = 0; index < count; index++) {
    const byte = (offset: number) => hash[(index * 7 + offset) % hash.length]!;
    const measured = index < 2;
    const size = 400 - index * 60;
    faces.push({
      face_id: measured ? index + 1 : null,
      bounding_box: { x: 10 + byte(0), y: 20 + byte(1), width: size, height: Math.round(size * 1.2) },
      confidence: round4(0.999 - index * 0.01),
      expressions: measured
        ? FAKE_FACE_EXPRESSIONS.map((name, position) => ({ name, probability: round4(((byte(position + 2) + 13 * position) % 256) / 256) })).filter((entry) => entry.probability >= 0.1).sort((a, b) => b.probability - a.probability)
        : null,
      descriptions: measured ? FAKE_DESCRIPTIONS.map((name, position) => ({ name, probability: round4(byte(position + 9) / 256) })).filter((entry) => entry.probability >= 0.1) : null,
    });
  }
  return faces;
}

export interface HumeCloudFakeOptions {
  apiKey?: string;
  /** "nested": measurements inside each utterance; "flat": a top-level list naming its utterance. */
  nesting?: "nested" | "flat";
}

export class HumeCloudFake {
  readonly server = new FakeServer();
  readonly apiKey: string;
  readonly audioCalls: AudioCall[] = [];
  readonly imageCalls: ImageCall[] = [];
  /** Requests refused by validation, with the reason; a test that expects none asserts it. */
  readonly refusals: Array<{ status: number; reason: string }> = [];
  nesting: "nested" | "flat";
  private holdAfter = Infinity;
  private releaseHeld: Array<(answer: boolean) => void> = [];
  baseUrl = "";

  constructor(options: HumeCloudFakeOptions = {}) {
    this.apiKey = options.apiKey ?? `hume-cloud-key-${randomUUID()}`;
    this.nesting = options.nesting ?? "nested";
    this.server.route("POST", AUDIO_PATH, (request) => this.audio(request));
    this.server.route("POST", IMAGE_PATH, (request) => this.images(request));
  }

  async start(): Promise<this> {
    this.baseUrl = await this.server.listen();
    return this;
  }

  /** Audio requests after the n-th wait until release() (or forever). */
  holdAudioAfter(count: number): void {
    this.holdAfter = count;
  }

  release(): void {
    this.holdAfter = Infinity;
    for (const release of this.releaseHeld.splice(0)) release(true);
  }

  /** Held requests whose client went away (a killed server): never count as answered. */
  abandonHeld(): void {
    for (const release of this.releaseHeld.splice(0)) release(false);
  }

  answeredAudio(): AudioCall[] {
    return this.audioCalls.filter((call) => call.answered);
  }

  async close(): Promise<void> {
    this.abandonHeld();
    await this.server.close();
  }

  private refuse(reply: FakeReply, reason: string): FakeReply {
    this.refusals.push({ status: reply.status ?? 200, reason });
    return reply;
  }

  private checkCommon(request: RecordedRequest): FakeReply | Part[] {
    if (request.headers.authorization !== undefined) return this.refuse({ status: 400, body: { message: "send exactly one credential header" } }, "two credentials");
    if (request.headers["x-hume-api-key"] !== this.apiKey) {
      return this.refuse({ status: 401, body: { message: "Invalid API key", request_id: randomUUID() } }, "bad key");
    }
    if (request.body.length > CLOUD_MAX_BODY) return this.refuse(vendorError(413, "request_too_large", `the request is ${request.body.length} bytes; the limit is 25 MB`), "too large");
    const parts = parseMultipart(request);
    if (typeof parts === "string") return this.refuse(vendorError(400, "message_invalid", parts), parts);
    const unknown = parts.find((part) => part.name !== "file" && part.name !== "config");
    if (unknown) return this.refuse(vendorError(400, "message_invalid", `unexpected part "${unknown.name}"`), "unknown part");
    if (parts.filter((part) => part.name === "config").length > 1) return this.refuse(vendorError(400, "message_invalid", "at most one config part"), "two configs");
    return parts;
  }

  private async audio(request: RecordedRequest): Promise<FakeReply> {
    const checked = this.checkCommon(request);
    if (!Array.isArray(checked)) return checked;
    const files = checked.filter((part) => part.name === "file");
    if (files.length !== 1) return this.refuse(vendorError(400, "message_invalid", "send exactly one file part"), "file count");
    const file = files[0]!;
    if (file.contentType !== "audio/wav") return this.refuse(vendorError(400, "message_invalid", "file: content type must be audio/wav"), "content type");
    const samples = strictWav(file.data);
    if (typeof samples === "string") return this.refuse(vendorError(400, "message_invalid", `file: ${samples}`), samples);
    let timerMs = 3000;
    const configPart = checked.find((part) => part.name === "config");
    if (configPart) {
      if (configPart.contentType !== "application/json") return this.refuse(vendorError(400, "config_invalid", "config: content type must be application/json"), "config type");
      let config: unknown;
      try {
        config = JSON.parse(configPart.data.toString("utf8"));
      } catch {
        return this.refuse(vendorError(400, "config_invalid", "config: not JSON"), "config json");
      }
      const record = config as Record<string, unknown>;
      const keys = typeof config === "object" && config !== null ? Object.keys(record) : ["?"];
      if (keys.some((key) => key !== "measurement_timer_ms")) return this.refuse(vendorError(400, "config_invalid", `config: unknown field ${keys.join(",")}`), "config field");
      const timer = record.measurement_timer_ms;
      if (timer !== undefined) {
        if (typeof timer !== "number" || !Number.isInteger(timer) || timer < 3000 || timer > 10_000) {
          return this.refuse(vendorError(400, "config_invalid", "config.measurement_timer_ms must be an integer from 3000 to 10000"), "timer");
        }
        timerMs = timer;
      }
    }
    const call: AudioCall = { samples, timerMs, answered: false };
    this.audioCalls.push(call);
    if (this.audioCalls.length > this.holdAfter) {
      const answer = await new Promise<boolean>((resolve) => this.releaseHeld.push(resolve));
      if (!answer) return { status: 503, body: { message: "abandoned" } };
    }
    const utterances = fakeUtterances(samples, timerMs);
    call.response = { run_id: randomUUID(), utterances };
    call.answered = true;
    if (this.nesting === "nested") return { body: call.response };
    return {
      body: {
        run_id: call.response.run_id,
        utterances: utterances.map((utterance, index) => ({ utterance_id: `u${index}`, audio_start_ms: utterance.audio_start_ms, audio_end_ms: utterance.audio_end_ms })),
        measurements: utterances.flatMap((utterance, index) => utterance.measurements.map((measurement) => ({ utterance_id: `u${index}`, ...measurement }))),
      },
    };
  }

  private images(request: RecordedRequest): FakeReply {
    const checked = this.checkCommon(request);
    if (!Array.isArray(checked)) return checked;
    const files = checked.filter((part) => part.name === "file");
    if (files.length === 0) return this.refuse(vendorError(400, "message_invalid", "send at least one file part"), "no file");
    for (const [index, file] of files.entries()) {
      if (file.contentType !== "image/jpeg") return this.refuse(vendorError(400, "message_invalid", `file ${index}: content type must be image/jpeg`), "image type");
      if (file.data[0] !== 0xff || file.data[1] !== 0xd8 || file.data[2] !== 0xff) return this.refuse(vendorError(400, "invalid_image", `file ${index}: not a JPEG`), "not jpeg");
      if (file.data.length > CLOUD_MAX_IMAGE) return this.refuse(vendorError(413, "image_too_large", `file ${index}: over 2 MB`), "image size");
      const pixels = jpegPixels(file.data);
      if (pixels === undefined || pixels > CLOUD_MAX_PIXELS) return this.refuse(vendorError(400, "invalid_image", `file ${index}: too many pixels or no frame header`), "pixels");
    }
    let config: unknown;
    const configPart = checked.find((part) => part.name === "config");
    if (configPart) {
      try {
        config = JSON.parse(configPart.data.toString("utf8"));
      } catch {
        return this.refuse(vendorError(400, "config_invalid", "config: not JSON"), "config json");
      }
      const face = (config as { face?: Record<string, unknown> }).face;
      const keys = Object.keys(config as object);
      if (keys.some((key) => key !== "face") || typeof face !== "object" || face === null) return this.refuse(vendorError(400, "config_invalid", "config: only face"), "config");
      for (const [key, value] of Object.entries(face)) {
        const ok =
          (key === "threshold" && typeof value === "number" && value >= 0 && value <= 1) ||
          (key === "min_size" && typeof value === "number" && Number.isInteger(value) && value >= 1) ||
          (key === "return_face_state" && typeof value === "boolean");
        if (!ok) return this.refuse(vendorError(400, "config_invalid", `config.face.${key} is invalid`), "face config");
      }
    }
    const call: ImageCall = { images: files.map((file) => Buffer.from(file.data)), config, answered: true };
    this.imageCalls.push(call);
    return { body: { run_id: randomUUID(), results: call.images.map((image) => ({ faces: fakeFaces(image) })) } };
  }
}

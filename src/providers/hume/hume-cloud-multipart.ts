// The exact bytes we send to Hume's upload endpoints: a 44-byte PCM16/16 kHz/mono WAV header,
// and multipart bodies built by hand so their whole size is known before sending (the limit is
// on the whole body, and FormData would only tell us after encoding).

import { randomBytes } from "node:crypto";
import { HUME_CLOUD_SAMPLE_RATE } from "./hume-cloud-api.js";

export const WAV_HEADER_BYTES = 44;

/** s16le, 16 kHz, mono: the only format the audio endpoint takes ("the server does not convert audio"). */
export function pcm16Wav(samples: Float32Array): Uint8Array {
  const dataBytes = samples.length * 2;
  const bytes = new Uint8Array(WAV_HEADER_BYTES + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let index = 0; index < text.length; index++) bytes[offset + index] = text.charCodeAt(index);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, HUME_CLOUD_SAMPLE_RATE, true);
  view.setUint32(28, HUME_CLOUD_SAMPLE_RATE * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  for (let index = 0; index < samples.length; index++) {
    // The inverse of the decoder's x / 32768, so 16-bit input survives the round trip.
    const value = Math.round(samples[index]! * 32768);
    view.setInt16(WAV_HEADER_BYTES + index * 2, Math.max(-32768, Math.min(32767, Number.isFinite(value) ? value : 0)), true);
  }
  return bytes;
}

export interface MultipartFile {
  filename: string;
  contentType: string;
  data: Uint8Array;
}

export interface MultipartBody {
  body: Uint8Array;
  contentType: string;
}

export function newBoundary(): string {
  return `media-jobs-${randomBytes(12).toString("hex")}`;
}

function fileHead(boundary: string, file: { filename: string; contentType: string }): string {
  return `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename.replace(/["\r\n\\]/g, "_")}"\r\nContent-Type: ${file.contentType}\r\n\r\n`;
}

function configPart(boundary: string, config: unknown): string {
  return `--${boundary}\r\nContent-Disposition: form-data; name="config"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(config)}\r\n`;
}

/** Bytes a body adds beyond the files' own bytes: what a size plan must reserve. */
export function multipartOverhead(boundary: string, files: Array<{ filename: string; contentType: string }>, config: unknown | undefined): number {
  let total = Buffer.byteLength(`--${boundary}--\r\n`);
  for (const file of files) total += Buffer.byteLength(fileHead(boundary, file)) + 2;
  if (config !== undefined) total += Buffer.byteLength(configPart(boundary, config));
  return total;
}

/** `file` parts (one or more) and an optional `config` part, nothing else. */
export function buildMultipart(boundary: string, files: MultipartFile[], config: unknown | undefined): MultipartBody {
  const pieces: Uint8Array[] = [];
  for (const file of files) {
    pieces.push(Buffer.from(fileHead(boundary, file)), file.data, Buffer.from("\r\n"));
  }
  if (config !== undefined) pieces.push(Buffer.from(configPart(boundary, config)));
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

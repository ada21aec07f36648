// A small RIFF/WAVE reader: finds the fmt and data chunks and converts PCM (8/16/24/32-bit
// integer), IEEE float (32/64-bit) and G.711 telephone (μ-law, A-law) frames to Float32 per
// channel.

import { AudioDecodeError } from "./local-errors.js";

export interface WavLayout {
  /** Format tags 1, 3, 7, 6 (WAVE_FORMAT_EXTENSIBLE is resolved to its sub-format). */
  encoding: "pcm" | "float" | "mulaw" | "alaw";
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  blockAlign: number;
  /** WAVE_FORMAT_EXTENSIBLE speaker mask (which channel is which), when present. */
  channelMask?: number;
  dataOffset: number;
  dataBytes: number;
  /** What the data chunk's header promised, when the file holds less (it ends early). */
  declaredDataBytes?: number;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_ALAW = 6;
const WAVE_FORMAT_MULAW = 7;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Reads `length` bytes at `position`; returns fewer at the end of the file. */
export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

export async function readWavLayout(readAt: ReadAt, fileBytes: number, name: string): Promise<WavLayout> {
  let position = 12;
  let format: Omit<WavLayout, "dataOffset" | "dataBytes"> | undefined;
  // Chunks are walked by positional reads: a large LIST/bext chunk before `data` is common.
  while (position + 8 <= fileBytes) {
    const header = await readAt(position, 8);
    if (header.length < 8) break;
    const view = new DataView(header.buffer, header.byteOffset, 8);
    const id = String.fromCharCode(header[0]!, header[1]!, header[2]!, header[3]!);
    const size = view.getUint32(4, true);
    const body = position + 8;
    if (id === "fmt ") {
      const fmt = await readAt(body, Math.min(size, 40));
      format = parseFmt(fmt, name);
    } else if (id === "data") {
      if (!format) throw new AudioDecodeError(`${name}: WAV "data" chunk comes before its "fmt " chunk; the file is damaged`);
      // Streaming writers leave the size at 0 or 0xFFFFFFFF: take what is in the file.
      const available = fileBytes - body;
      const dataBytes = size === 0 || size === 0xffffffff || size > available ? available : size;
      const usable = dataBytes - (dataBytes % format.blockAlign);
      const endsEarly = size !== 0xffffffff && size > available;
      return { ...format, dataOffset: body, dataBytes: usable, ...(endsEarly ? { declaredDataBytes: size } : {}) };
    }
    position = body + size + (size % 2);
  }
  throw new AudioDecodeError(`${name}: WAV file has no ${format ? '"data"' : '"fmt "'} chunk; the file is truncated or damaged`);
}

function parseFmt(fmt: Uint8Array, name: string): Omit<WavLayout, "dataOffset" | "dataBytes"> {
  if (fmt.length < 16) throw new AudioDecodeError(`${name}: WAV "fmt " chunk is too short; the file is damaged`);
  const view = new DataView(fmt.buffer, fmt.byteOffset, fmt.byteLength);
  let tag = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRate = view.getUint32(4, true);
  const blockAlign = view.getUint16(12, true);
  const bitsPerSample = view.getUint16(14, true);
  let channelMask: number | undefined;
  if (tag === WAVE_FORMAT_EXTENSIBLE && fmt.length >= 26) {
    channelMask = view.getUint32(20, true) || undefined;
    tag = view.getUint16(24, true);
  }
  const encoding = ENCODINGS[tag];
  if (!encoding) {
    throw new AudioDecodeError(`${name} is a WAV file with compressed encoding 0x${tag.toString(16)}, which the local analyzer cannot decode; convert it to PCM WAV`, "unsupported_format");
  }
  const validBits = encoding === "pcm" ? [8, 16, 24, 32] : encoding === "float" ? [32, 64] : [8];
  if (!validBits.includes(bitsPerSample)) {
    throw new AudioDecodeError(`${name} is a ${bitsPerSample}-bit ${ENCODING_NAMES[encoding]} WAV, which the local analyzer cannot decode`, "unsupported_format");
  }
  if (channels < 1 || sampleRate < 1000 || sampleRate > 768_000 || blockAlign !== (channels * bitsPerSample) / 8) {
    throw new AudioDecodeError(`${name}: WAV header is inconsistent (channels ${channels}, rate ${sampleRate}, block ${blockAlign}); the file is damaged`);
  }
  return { encoding, sampleRate, channels, bitsPerSample, blockAlign, ...(channelMask ? { channelMask } : {}) };
}

const ENCODINGS: Record<number, WavLayout["encoding"] | undefined> = {
  [WAVE_FORMAT_PCM]: "pcm",
  [WAVE_FORMAT_IEEE_FLOAT]: "float",
  [WAVE_FORMAT_MULAW]: "mulaw",
  [WAVE_FORMAT_ALAW]: "alaw",
};

export const ENCODING_NAMES: Record<WavLayout["encoding"], string> = { pcm: "PCM", float: "float", mulaw: "µ-law", alaw: "A-law" };

/** ITU-T G.711 μ-law: each byte (stored inverted) is sign, 3-bit segment, 4-bit step. */
function mulawToLinear(byte: number): number {
  const code = ~byte & 0xff;
  const segment = (code >> 4) & 0x07;
  const magnitude = ((((code & 0x0f) << 3) + 0x84) << segment) - 0x84;
  return code & 0x80 ? -magnitude : magnitude;
}

/** ITU-T G.711 A-law: even bits inverted on the wire; a set sign bit means positive. */
function alawToLinear(byte: number): number {
  const code = byte ^ 0x55;
  const segment = (code >> 4) & 0x07;
  const step = code & 0x0f;
  const magnitude = segment === 0 ? (step << 4) + 8 : ((step << 4) + 0x108) << (segment - 1);
  return code & 0x80 ? magnitude : -magnitude;
}

/** The 256 values of each companding law as 16-bit-scaled floats. */
export const G711_TABLES = {
  mulaw: Float32Array.from({ length: 256 }, (_, byte) => mulawToLinear(byte) / 32_768),
  alaw: Float32Array.from({ length: 256 }, (_, byte) => alawToLinear(byte) / 32_768),
};

/** Converts whole frames of interleaved WAV bytes to one Float32Array per channel. */
export function wavBytesToChannels(bytes: Uint8Array, layout: WavLayout): Float32Array[] {
  const frames = Math.floor(bytes.length / layout.blockAlign);
  const channelCount = layout.channels;
  const channels = Array.from({ length: channelCount }, () => new Float32Array(frames));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bytesPerSample = layout.bitsPerSample / 8;
  for (let channel = 0; channel < channelCount; channel++) {
    const output = channels[channel]!;
    let offset = channel * bytesPerSample;
    const stride = layout.blockAlign;
    if (layout.encoding === "mulaw" || layout.encoding === "alaw") {
      const table = G711_TABLES[layout.encoding];
      for (let frame = 0; frame < frames; frame++, offset += stride) output[frame] = table[bytes[offset]!]!;
      continue;
    }
    if (layout.encoding === "float") {
      if (layout.bitsPerSample === 32) for (let frame = 0; frame < frames; frame++, offset += stride) output[frame] = view.getFloat32(offset, true);
      else for (let frame = 0; frame < frames; frame++, offset += stride) output[frame] = view.getFloat64(offset, true);
      continue;
    }
    switch (layout.bitsPerSample) {
      case 8:
        for (let frame = 0; frame < frames; frame++, offset += stride) output[frame] = (bytes[offset]! - 128) / 128;
        break;
      case 16:
        for (let frame = 0; frame < frames; frame++, offset += stride) output[frame] = view.getInt16(offset, true) / 32_768;
        break;
      case 24:
        for (let frame = 0; frame < frames; frame++, offset += stride) {
          const value = bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16);
          output[frame] = ((value << 8) >> 8) / 8_388_608;
        }
        break;
      default:
        for (let frame = 0; frame < frames; frame++, offset += stride) output[frame] = view.getInt32(offset, true) / 2_147_483_648;
    }
  }
  return channels;
}

/** Builds a WAV file (16-bit PCM or 32-bit float): for fixtures, tests and the benchmark. */
export function encodeWav(channels: Float32Array[], sampleRate: number, encoding: { format: "pcm"; bits: 8 | 16 | 24 | 32 } | { format: "float"; bits: 32 | 64 } = { format: "pcm", bits: 16 }): Uint8Array {
  const channelCount = channels.length;
  const frames = channels[0]?.length ?? 0;
  const bytesPerSample = encoding.bits / 8;
  const blockAlign = channelCount * bytesPerSample;
  const dataBytes = frames * blockAlign;
  const buffer = new Uint8Array(44 + dataBytes);
  const view = new DataView(buffer.buffer);
  const writeText = (offset: number, text: string) => {
    for (let index = 0; index < text.length; index++) buffer[offset + index] = text.charCodeAt(index);
  };
  writeText(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  writeText(8, "WAVE");
  writeText(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, encoding.format === "pcm" ? WAVE_FORMAT_PCM : WAVE_FORMAT_IEEE_FLOAT, true);
  view.setUint16(22, channelCount, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, encoding.bits, true);
  writeText(36, "data");
  view.setUint32(40, dataBytes, true);
  let offset = 44;
  for (let frame = 0; frame < frames; frame++) {
    for (let channel = 0; channel < channelCount; channel++, offset += bytesPerSample) {
      const sample = channels[channel]![frame]!;
      if (encoding.format === "float") {
        if (encoding.bits === 32) view.setFloat32(offset, sample, true);
        else view.setFloat64(offset, sample, true);
        continue;
      }
      const clamped = Math.max(-1, Math.min(1, sample));
      switch (encoding.bits) {
        case 8:
          buffer[offset] = Math.max(0, Math.min(255, Math.round(clamped * 128 + 128)));
          break;
        case 16:
          view.setInt16(offset, Math.max(-32_768, Math.min(32_767, Math.round(clamped * 32_768))), true);
          break;
        case 24: {
          const value = Math.max(-8_388_608, Math.min(8_388_607, Math.round(clamped * 8_388_608)));
          buffer[offset] = value & 0xff;
          buffer[offset + 1] = (value >> 8) & 0xff;
          buffer[offset + 2] = (value >> 16) & 0xff;
          break;
        }
        default:
          view.setInt32(offset, Math.max(-2_147_483_648, Math.min(2_147_483_647, Math.round(clamped * 2_147_483_648))), true);
      }
    }
  }
  return buffer;
}

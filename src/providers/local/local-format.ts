// Recognizes an audio file by its magic bytes (never by its extension), so an unsupported
// file gets an error that names what it really is, and probes its duration for progress.

export type DecodableFormat = "wav" | "mp3" | "flac" | "ogg-vorbis" | "ogg-opus";

export interface SniffedFormat {
  /** Set when the analyzer can decode it. */
  decodable?: DecodableFormat;
  /** What the file is, in words: "WAV (PCM)", "MP4/M4A (AAC or ALAC)", "Ogg Speex"… */
  description: string;
  /** Byte offset where the audio stream starts (after an ID3v2 tag). */
  offset: number;
}

export const SUPPORTED_FORMATS_TEXT = "WAV (PCM 8/16/24/32-bit, float, G.711 µ-law/A-law), MP3, FLAC, Ogg Vorbis, Ogg Opus";

/** How many leading bytes `sniffFormat` wants (an ID3v2 tag may need more; see `id3v2Size`). */
export const SNIFF_BYTES = 64;

/** Size of a leading ID3v2 tag (MP3, sometimes FLAC), or 0. */
export function id3v2Size(head: Uint8Array): number {
  if (head.length < 10 || ascii(head, 0, 3) !== "ID3") return 0;
  const size = ((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f);
  const footer = (head[5]! & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * `head` holds the first bytes of the file from `offset` on (after any ID3v2 tag, which the
 * caller skips with `id3v2Size`).
 */
export function sniffFormat(head: Uint8Array, offset = 0): SniffedFormat {
  const at = (description: string, decodable?: DecodableFormat): SniffedFormat => ({ description, decodable, offset });
  if (head.length < 4) return at("an empty or truncated file");
  const four = ascii(head, 0, 4);
  if (four === "RIFF" && ascii(head, 8, 4) === "WAVE") return at("WAV", "wav");
  if (four === "RIFF" && ascii(head, 8, 4) === "AVI ") return at("AVI video");
  if (four === "RF64" || four === "BW64") return at("RF64/BW64 (64-bit WAV)");
  if (four === "fLaC") return at("FLAC", "flac");
  if (four === "OggS") return sniffOgg(head, offset);
  if (four === "FORM" && ascii(head, 8, 3) === "AIF") return at("AIFF");
  if (four === "caff") return at("Core Audio Format (CAF)");
  if (four === "MThd") return at("MIDI (not audio samples)");
  if (four === "#!AM") return at("AMR");
  if (four === ".snd") return at("Sun/NeXT AU");
  if (ascii(head, 4, 4) === "ftyp") return at(`MP4/M4A container (brand ${printable(ascii(head, 8, 4))}; AAC or ALAC audio)`);
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return at("Matroska/WebM");
  if (head[0] === 0x30 && head[1] === 0x26 && head[2] === 0xb2 && head[3] === 0x75) return at("ASF/WMA");
  if (head[0] === 0xff && (head[1]! & 0xf6) === 0xf0) return at("AAC (ADTS)");
  if (head[0] === 0xff && (head[1]! & 0xe0) === 0xe0 && (head[1]! & 0x06) !== 0) return at("MP3 (MPEG audio)", "mp3");
  if (four === "%PDF") return at("a PDF document");
  if (head[0] === 0x89 && ascii(head, 1, 3) === "PNG") return at("a PNG image");
  if (head[0] === 0xff && head[1] === 0xd8) return at("a JPEG image");
  if (ascii(head, 0, 2) === "PK") return at("a ZIP archive");
  if (looksLikeText(head)) return at("a text file");
  const hex = [...head.subarray(0, 4)].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
  return at(`an unrecognized format (first bytes ${hex})`);
}

function sniffOgg(head: Uint8Array, offset: number): SniffedFormat {
  // The first page carries the codec's identification header right after the segment table.
  const segments = head[26] ?? 0;
  const body = 27 + segments;
  const codec = head.subarray(body, body + 8);
  const at = (description: string, decodable?: DecodableFormat): SniffedFormat => ({ description, decodable, offset });
  if (ascii(codec, 0, 8) === "OpusHead") return at("Ogg Opus", "ogg-opus");
  if (codec[0] === 0x01 && ascii(codec, 1, 6) === "vorbis") return at("Ogg Vorbis", "ogg-vorbis");
  if (ascii(codec, 0, 5) === "Speex") return at("Ogg Speex");
  if (codec[0] === 0x7f && ascii(codec, 1, 4) === "FLAC") return at("Ogg FLAC");
  if (codec[0] === 0x80 && ascii(codec, 1, 6) === "theora") return at("Ogg Theora video");
  return at("Ogg with an unrecognized codec");
}

/** Seconds of audio, when the headers say (FLAC STREAMINFO, the last Ogg page, a Xing/Info or CBR MP3). */
export function probeDuration(format: DecodableFormat, head: Uint8Array, tail: Uint8Array, fileBytes: number, audioOffset: number): number | undefined {
  switch (format) {
    case "flac": {
      // STREAMINFO follows "fLaC" + a 4-byte block header: rate 20 bits, then 36 bits of sample count.
      const info = 8;
      if (head.length < info + 18) return undefined;
      const rate = (head[info + 10]! << 12) | (head[info + 11]! << 4) | (head[info + 12]! >> 4);
      const high = head[info + 13]! & 0x0f;
      const low = ((head[info + 14]! << 24) >>> 0) + (head[info + 15]! << 16) + (head[info + 16]! << 8) + head[info + 17]!;
      const samples = high * 2 ** 32 + low;
      return rate > 0 && samples > 0 ? samples / rate : undefined;
    }
    case "ogg-vorbis":
    case "ogg-opus": {
      const granule = lastOggGranule(tail);
      if (granule === undefined) return undefined;
      const body = 27 + (head[26] ?? 0);
      if (format === "ogg-opus") {
        const preSkip = (head[body + 10] ?? 0) | ((head[body + 11] ?? 0) << 8);
        return Math.max(0, granule - preSkip) / 48_000;
      }
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const rate = body + 16 <= head.length ? view.getUint32(body + 12, true) : 0;
      return rate > 0 ? granule / rate : undefined;
    }
    case "mp3":
      return probeMp3Duration(head, fileBytes - audioOffset);
    case "wav":
      return undefined;
  }
}

const MP3_BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MP3_BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MP3_RATES = [44_100, 48_000, 32_000];

function probeMp3Duration(head: Uint8Array, audioBytes: number): number | undefined {
  if (head.length < 4 || head[0] !== 0xff) return undefined;
  const versionBits = (head[1]! >> 3) & 0x03;
  const layerBits = (head[1]! >> 1) & 0x03;
  if (layerBits !== 1) return undefined; // Layer III only; others are rare enough to go without an estimate.
  const mpeg1 = versionBits === 3;
  const bitrateIndex = head[2]! >> 4;
  const rateIndex = (head[2]! >> 2) & 0x03;
  const baseRate = MP3_RATES[rateIndex];
  if (baseRate === undefined) return undefined;
  const sampleRate = mpeg1 ? baseRate : versionBits === 2 ? baseRate / 2 : baseRate / 4;
  const samplesPerFrame = mpeg1 ? 1152 : 576;
  // A Xing/Info header (LAME) gives the exact frame count, which matters for VBR files.
  const xing = mp3XingSeconds(head);
  if (xing !== undefined) return xing;
  const kbps = (mpeg1 ? MP3_BITRATES_V1_L3 : MP3_BITRATES_V2_L3)[bitrateIndex];
  return kbps ? (audioBytes * 8) / (kbps * 1000) : undefined;
}

/** Seconds an MP3's Xing/Info header (LAME) promises, from its exact frame count. */
export function mp3XingSeconds(head: Uint8Array): number | undefined {
  if (head.length < 4 || head[0] !== 0xff || ((head[1]! >> 1) & 0x03) !== 1) return undefined;
  const mpeg1 = ((head[1]! >> 3) & 0x03) === 3;
  const versionBits = (head[1]! >> 3) & 0x03;
  const baseRate = MP3_RATES[(head[2]! >> 2) & 0x03];
  if (baseRate === undefined) return undefined;
  const sampleRate = mpeg1 ? baseRate : versionBits === 2 ? baseRate / 2 : baseRate / 4;
  const text = ascii(head, 0, Math.min(head.length, 200));
  const tagAt = Math.max(text.indexOf("Xing"), text.indexOf("Info"));
  if (tagAt < 0 || tagAt + 12 > head.length) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (!(view.getUint32(tagAt + 4) & 1)) return undefined;
  return (view.getUint32(tagAt + 8) * (mpeg1 ? 1152 : 576)) / sampleRate;
}

/** Channel mode of the first MPEG audio frame header: 0b11 is single channel. */
export function mp3IsMono(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0 && head[3]! >> 6 === 3;
}

/**
 * Whether an Ogg file stops before its stream's end: its last page is cut short or is not
 * flagged end-of-stream (header type bit 0x04).
 */
export function oggStreamEndsEarly(tail: Uint8Array): boolean {
  for (let index = tail.length - 27; index >= 0; index--) {
    if (tail[index] !== 0x4f || tail[index + 1] !== 0x67 || tail[index + 2] !== 0x67 || tail[index + 3] !== 0x53 || tail[index + 4] !== 0) continue;
    const segments = tail[index + 26]!;
    let bodyBytes = 0;
    for (let segment = 0; segment < segments && index + 27 + segment < tail.length; segment++) bodyBytes += tail[index + 27 + segment]!;
    const complete = index + 27 + segments + bodyBytes <= tail.length;
    return !complete || (tail[index + 5]! & 0x04) === 0;
  }
  return false;
}

function lastOggGranule(tail: Uint8Array): number | undefined {
  for (let index = tail.length - 27; index >= 0; index--) {
    if (tail[index] === 0x4f && tail[index + 1] === 0x67 && tail[index + 2] === 0x67 && tail[index + 3] === 0x53) {
      const view = new DataView(tail.buffer, tail.byteOffset + index, 27);
      const low = view.getUint32(6, true);
      const high = view.getUint32(10, true);
      if (high === 0xffffffff) continue; // -1: a page with no completed packet
      return high * 2 ** 32 + low;
    }
  }
  return undefined;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let text = "";
  for (let index = start; index < start + length && index < bytes.length; index++) text += String.fromCharCode(bytes[index]!);
  return text;
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").trim();
}

function looksLikeText(head: Uint8Array): boolean {
  for (const byte of head) if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) return false;
  return true;
}

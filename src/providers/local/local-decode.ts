// Streams a file's audio as Float32 chunks per channel, without any system binary: a small
// WAV reader of our own, and the wasm-audio-decoders family (mpg123, libFLAC, libvorbis,
// libopus compiled to WebAssembly) for compressed formats. Files are read in pieces, so an
// hour of audio never sits in memory as encoded and decoded copies at once.

import { constants, type Stats } from "node:fs";
import { open, realpath, stat, type FileHandle } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { channelRoles, type ChannelRole } from "./local-channels.js";
import { AudioDecodeError } from "./local-errors.js";
import { overLengthLimit } from "./local-limits.js";
import {
  id3v2Size,
  mp3IsMono,
  mp3XingSeconds,
  oggStreamEndsEarly,
  probeDuration,
  sniffFormat,
  SNIFF_BYTES,
  SUPPORTED_FORMATS_TEXT,
  type DecodableFormat,
  type SniffedFormat,
} from "./local-format.js";
import { ENCODING_NAMES, readWavLayout, wavBytesToChannels, type WavLayout } from "./local-wav.js";

export interface AudioChunk {
  sampleRate: number;
  /** One array per channel, all the same length. */
  channels: Float32Array[];
}

export interface AudioSource {
  format: DecodableFormat;
  /** "WAV PCM 16-bit", "MP3", "Ogg Opus"… */
  description: string;
  fileBytes: number;
  /** Seconds of audio when the headers say; exact for WAV and FLAC. */
  estimatedSeconds?: number;
  /** Known up front for WAV; otherwise from the first decoded chunk. */
  sampleRate?: number;
  channelCount?: number;
  /** What each channel is (left, center, LFE…), in the order chunks carry them; set with channelCount. */
  channelRoles?: ChannelRole[];
  bitDepth?: number;
  /**
   * Set when the container says the stream is longer than what the file holds: seconds the
   * headers promise (WAV data size, FLAC STREAMINFO, an MP3 Xing frame count), or null when
   * only the fact is known (an Ogg stream without its end-of-stream page).
   */
  promisedSeconds?: number | null;
  /** How far short of `promisedSeconds` a complete stream may still fall (MP3 encoder delay and padding). */
  promiseSlackSeconds?: number;
  /** Decoder complaints about damaged frames (skipped), counted for the report. */
  readonly damagedFrames: number;
  chunks(): AsyncGenerator<AudioChunk>;
  close(): Promise<void>;
}

const READ_BYTES = 1 << 20;
/**
 * Compressed input is fed in smaller pieces: 1 MiB of 24 kb/s Opus is six minutes of audio,
 * which would come back as one 67 MB chunk of 48 kHz floats (and pass through every stage
 * at once). 64 KiB keeps a chunk to seconds at any usual bit rate.
 */
const COMPRESSED_READ_BYTES = 1 << 14;
const TAIL_BYTES = 64 * 1024;

/** Sniffs a file's format from its first bytes; throws naming the format when it is not decodable. */
export async function sniffFile(path: string, name: string): Promise<SniffedFormat & { decodable: DecodableFormat }> {
  const handle = await openForReading(path, name);
  try {
    const { sniffed } = await sniffHandle(handle, name);
    return sniffed;
  } finally {
    await handle.close();
  }
}

/**
 * Seconds of audio any source opened here may yield (this module's state is per thread: the
 * analysis worker sets it for its job). Past it, chunks() throws a "too_long" error: the
 * analyzer's per-frame values grow (slowly) with the length (local-limits.ts), and a
 * compressed file's header may not say (or may lie about) how long it is.
 */
let decodeLimitSeconds: number | undefined;

export function limitDecodedSeconds(seconds: number | undefined): void {
  decodeLimitSeconds = seconds !== undefined && seconds > 0 ? seconds : undefined;
}

export async function openAudioSource(path: string, name: string): Promise<AudioSource> {
  const source = await openUnlimitedSource(path, name);
  const limit = decodeLimitSeconds;
  if (limit === undefined) return source;
  const chunks = source.chunks.bind(source);
  return Object.assign(source, {
    async *chunks() {
      let frames = 0;
      for await (const chunk of chunks()) {
        frames += chunk.channels[0]?.length ?? 0;
        const tooLong = overLengthLimit(name, frames / chunk.sampleRate, limit);
        if (tooLong) throw tooLong;
        yield chunk;
      }
    },
  });
}

async function openUnlimitedSource(path: string, name: string): Promise<AudioSource> {
  const handle = await openForReading(path, name);
  try {
    const { sniffed, head, fileBytes } = await sniffHandle(handle, name);
    const readAt = async (position: number, length: number): Promise<Uint8Array> => {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    if (sniffed.decodable === "wav") {
      const layout = await readWavLayout(readAt, fileBytes, name);
      return wavSource(handle, layout, readAt, fileBytes);
    }
    const tail = await readAt(Math.max(sniffed.offset, fileBytes - TAIL_BYTES), TAIL_BYTES);
    const estimatedSeconds = probeDuration(sniffed.decodable, head, tail, fileBytes, sniffed.offset);
    const source = compressedSource(handle, sniffed.decodable, sniffed.description, sniffed.offset, fileBytes, estimatedSeconds, readAt, name);
    switch (sniffed.decodable) {
      case "flac":
        source.promisedSeconds = estimatedSeconds;
        break;
      case "mp3":
        source.promisedSeconds = mp3XingSeconds(head);
        // The Xing frame count includes the encoder's delay and padding, which decoders drop.
        source.promiseSlackSeconds = 0.25;
        // mpg123 always hands out two channels; a mono stream's header says what it really is.
        if (mp3IsMono(head)) source.monoStream = true;
        break;
      default:
        if (oggStreamEndsEarly(tail)) source.promisedSeconds = null;
    }
    return source;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Opens what the job named, and checks what was opened rather than the name: the path was
 * checked against the allowed directories when the job was accepted, and may have been
 * swapped since (for a FIFO, a device, a symlink to a file elsewhere). O_NONBLOCK keeps a
 * FIFO from blocking the open (and a libuv thread) forever; O_NOFOLLOW refuses a symlink in
 * the last component; the handle must be a regular file; and the path, resolved now, must
 * still be itself (no component swapped for a link) and name the very file we hold.
 * Everything after reads from this handle.
 */
async function openForReading(path: string, name: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new AudioDecodeError(`${name} is now a symbolic link, which the local analyzer does not follow; start the job again with the file itself`, "read_failed");
    throw new AudioDecodeError(`${name} could not be opened (${code ?? "read error"}); check that the file still exists and is readable`, "read_failed");
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) {
      throw new AudioDecodeError(`${name} is not a regular file (${kindOf(opened)}); the local analyzer reads regular files only`, "read_failed");
    }
    const absolute = resolvePath(path);
    const real = await realpath(absolute).catch(() => undefined);
    const named = real === absolute ? await stat(real).catch(() => undefined) : undefined;
    if (!named || named.dev !== opened.dev || named.ino !== opened.ino) {
      throw new AudioDecodeError(`${name} was moved or replaced through a link since the job was accepted; start the job again with the file itself`, "read_failed");
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return "a named pipe";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  if (stats.isSocket()) return "a socket";
  if (stats.isDirectory()) return "a directory";
  return "not a plain file";
}

async function sniffHandle(handle: FileHandle, name: string): Promise<{ sniffed: SniffedFormat & { decodable: DecodableFormat }; head: Uint8Array; fileBytes: number }> {
  const fileBytes = (await handle.stat()).size;
  const first = new Uint8Array(SNIFF_BYTES);
  const { bytesRead } = await handle.read(first, 0, SNIFF_BYTES, 0);
  const skip = id3v2Size(first.subarray(0, bytesRead));
  // A head big enough for the format's own headers (Ogg page, Xing tag, STREAMINFO).
  const head = new Uint8Array(4096);
  const headRead = (await handle.read(head, 0, head.length, skip)).bytesRead;
  const sniffed = sniffFormat(head.subarray(0, headRead), skip);
  if (!sniffed.decodable) {
    throw new AudioDecodeError(
      `${name} is ${sniffed.description}, which the local analyzer cannot decode; it reads ${SUPPORTED_FORMATS_TEXT}`,
      "unsupported_format",
    );
  }
  return { sniffed: sniffed as SniffedFormat & { decodable: DecodableFormat }, head: head.subarray(0, headRead), fileBytes };
}

function wavSource(handle: FileHandle, layout: WavLayout, readAt: (position: number, length: number) => Promise<Uint8Array>, fileBytes: number): AudioSource {
  const frameBytes = Math.max(layout.blockAlign, READ_BYTES - (READ_BYTES % layout.blockAlign));
  return {
    format: "wav",
    description: layout.encoding === "mulaw" || layout.encoding === "alaw" ? `WAV G.711 ${ENCODING_NAMES[layout.encoding]}` : `WAV ${ENCODING_NAMES[layout.encoding]} ${layout.bitsPerSample}-bit`,
    fileBytes,
    estimatedSeconds: layout.dataBytes / layout.blockAlign / layout.sampleRate,
    ...(layout.declaredDataBytes !== undefined ? { promisedSeconds: layout.declaredDataBytes / layout.blockAlign / layout.sampleRate } : {}),
    sampleRate: layout.sampleRate,
    channelCount: layout.channels,
    channelRoles: channelRoles(layout.channels, "wav", layout.channelMask),
    bitDepth: layout.bitsPerSample,
    damagedFrames: 0,
    async *chunks() {
      for (let position = 0; position < layout.dataBytes; position += frameBytes) {
        const bytes = await readAt(layout.dataOffset + position, Math.min(frameBytes, layout.dataBytes - position));
        if (bytes.length < layout.blockAlign) break;
        yield { sampleRate: layout.sampleRate, channels: wavBytesToChannels(bytes, layout) };
      }
    },
    close: () => handle.close(),
  };
}

interface DecodedPiece {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: unknown[];
  bitDepth?: number;
}

interface StreamingDecoder {
  ready: Promise<void>;
  decode(data: Uint8Array): DecodedPiece | Promise<DecodedPiece>;
  flush?(): Promise<DecodedPiece>;
  free(): void;
}

async function createDecoder(format: Exclude<DecodableFormat, "wav">): Promise<StreamingDecoder> {
  switch (format) {
    case "mp3": {
      const { MPEGDecoder } = await import("mpg123-decoder");
      return new MPEGDecoder() as unknown as StreamingDecoder;
    }
    case "flac": {
      const { FLACDecoder } = await import("@wasm-audio-decoders/flac");
      return new FLACDecoder() as unknown as StreamingDecoder;
    }
    case "ogg-vorbis": {
      const { OggVorbisDecoder } = await import("@wasm-audio-decoders/ogg-vorbis");
      return new OggVorbisDecoder() as unknown as StreamingDecoder;
    }
    case "ogg-opus": {
      const { OggOpusDecoder } = await import("ogg-opus-decoder");
      return new OggOpusDecoder() as unknown as StreamingDecoder;
    }
  }
}

const FORMAT_NAMES: Record<Exclude<DecodableFormat, "wav">, string> = {
  mp3: "MP3",
  flac: "FLAC",
  "ogg-vorbis": "Ogg Vorbis",
  "ogg-opus": "Ogg Opus",
};

function compressedSource(
  handle: FileHandle,
  format: Exclude<DecodableFormat, "wav">,
  description: string,
  offset: number,
  fileBytes: number,
  estimatedSeconds: number | undefined,
  readAt: (position: number, length: number) => Promise<Uint8Array>,
  name: string,
): AudioSource & { monoStream?: boolean } {
  let damagedFrames = 0;
  let decoder: StreamingDecoder | undefined;
  const source: AudioSource & { monoStream?: boolean } = {
    format,
    description: FORMAT_NAMES[format] ?? description,
    fileBytes,
    estimatedSeconds,
    get damagedFrames() {
      return damagedFrames;
    },
    async *chunks() {
      decoder = await createDecoder(format);
      await decoder.ready;
      let samples = 0;
      const take = (piece: DecodedPiece): AudioChunk | undefined => {
        damagedFrames += piece.errors.length;
        if (piece.samplesDecoded <= 0 || piece.channelData.length === 0) return undefined;
        if (source.sampleRate === undefined) {
          source.sampleRate = piece.sampleRate;
          source.channelCount = source.monoStream ? 1 : piece.channelData.length;
          // Vorbis and Opus (mapping family 1) order channels per Vorbis I §4.3.9; FLAC as WAV.
          source.channelRoles = channelRoles(source.channelCount, format === "ogg-vorbis" || format === "ogg-opus" ? "vorbis" : "wav");
          if (piece.bitDepth) source.bitDepth = piece.bitDepth;
        }
        samples += piece.samplesDecoded;
        // The decoders reuse nothing after returning, but their arrays may be longer than the
        // decoded count: trim, and keep the channel count steady (Opus may switch mid-stream).
        const channels = Array.from({ length: source.channelCount! }, (_, index) =>
          (piece.channelData[index] ?? piece.channelData[0]!).subarray(0, piece.samplesDecoded),
        );
        return { sampleRate: piece.sampleRate, channels };
      };
      try {
        for (let position = offset; position < fileBytes; position += COMPRESSED_READ_BYTES) {
          const bytes = await readAt(position, Math.min(COMPRESSED_READ_BYTES, fileBytes - position));
          let piece: DecodedPiece;
          try {
            piece = await decoder.decode(bytes);
          } catch {
            throw new AudioDecodeError(`${name} looks like ${FORMAT_NAMES[format]} but its data could not be decoded; the file is damaged or not really ${FORMAT_NAMES[format]}`);
          }
          const chunk = take(piece);
          if (chunk) yield chunk;
        }
        if (decoder.flush) {
          const chunk = take(await decoder.flush());
          if (chunk) yield chunk;
        }
      } finally {
        decoder.free();
        decoder = undefined;
      }
      // mpg123 resyncs on anything that looks like a frame header: garbage yields a few
      // damaged frames and a sliver of noise, which is not audio worth analysing.
      const tooLittle = damagedFrames > 0 && samples < (source.sampleRate ?? 8_000) * 0.1;
      if (samples === 0 || tooLittle) {
        throw new AudioDecodeError(`${name} looks like ${FORMAT_NAMES[format]} but no audio could be decoded from it; the file is damaged or empty`);
      }
    },
    close: () => handle.close(),
  };
  return source;
}

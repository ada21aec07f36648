// Why a file could not be analysed. The code becomes the job's error code; the message is
// written by us (never a decoder's raw text) and says what to do.

export type AudioErrorCode = "unsupported_format" | "decode_failed" | "read_failed" | "too_long";

export class AudioDecodeError extends Error {
  readonly code: AudioErrorCode;
  constructor(message: string, code: AudioErrorCode = "decode_failed") {
    super(message);
    this.code = code;
    this.name = "AudioDecodeError";
  }
}

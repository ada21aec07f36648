// What Hume's image endpoint takes: complete JPEGs of at most 2 MB and 8,294,400 pixels. We
// check before sending, so a wrong file is named here instead of failing a whole batch there.

import { HUME_CLOUD_MAX_IMAGE_BYTES, HUME_CLOUD_MAX_IMAGE_PIXELS } from "./hume-cloud-api.js";

const SIGNATURES: Array<[string, (bytes: Uint8Array) => boolean]> = [
  ["PNG", (bytes) => bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47],
  ["GIF", (bytes) => bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46],
  ["WebP", (bytes) => bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[8] === 0x57 && bytes[9] === 0x45],
  ["BMP", (bytes) => bytes[0] === 0x42 && bytes[1] === 0x4d],
  ["TIFF", (bytes) => (bytes[0] === 0x49 && bytes[1] === 0x49) || (bytes[0] === 0x4d && bytes[1] === 0x4d)],
  ["HEIC/AVIF", (bytes) => bytes[4] === 0x66 && bytes[5] === 0x74 && bytes[6] === 0x79 && bytes[7] === 0x70],
];

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Width and height from the first SOF marker, when the bytes reach it. */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[offset + 5]! << 8) | bytes[offset + 6]!, width: (bytes[offset + 7]! << 8) | bytes[offset + 8]! };
    }
    if (marker === 0xda || length < 2) return undefined;
    offset += 2 + length;
  }
  return undefined;
}

/** A problem to show (a string), or the image's size when it is a JPEG Hume takes. */
export function describeJpeg(bytes: Uint8Array, name: string): string | { width?: number; height?: number } {
  if (!isJpeg(bytes)) {
    const known = SIGNATURES.find(([, test]) => test(bytes))?.[0];
    return `${name} is ${known ? `a ${known} image` : "not a JPEG image"}; Hume's image endpoint takes JPEG only — convert it to JPEG first (e.g. with an image editor or \`ffmpeg -i in.png out.jpg\`)`;
  }
  if (bytes.length > HUME_CLOUD_MAX_IMAGE_BYTES) return `${name} is larger than 2 MB; Hume accepts JPEGs of at most 2 MB each (re-encode it smaller)`;
  const size = jpegSize(bytes);
  if (size && size.width * size.height > HUME_CLOUD_MAX_IMAGE_PIXELS) {
    return `${name} is ${size.width}×${size.height} pixels; Hume accepts at most 8,294,400 (3840×2160) — scale it down`;
  }
  return size ?? {};
}

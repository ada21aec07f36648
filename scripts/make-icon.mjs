// Draws assets/icon.png (512×512): a rounded indigo tile with a white audio waveform whose
// bars fade into a "condensed" summary line — the server's job in one picture. Pure Node
// (zlib + CRC-32), so anyone can regenerate it without an image tool: node scripts/make-icon.mjs

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const SIZE = 512;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "assets", "icon.png");

const pixels = new Float64Array(SIZE * SIZE * 4); // premultiplied-free RGBA in 0..1

function blend(x, y, [r, g, b], alpha) {
  if (alpha <= 0) return;
  const i = (y * SIZE + x) * 4;
  const a0 = pixels[i + 3];
  const a = alpha + a0 * (1 - alpha);
  for (const [k, c] of [[0, r], [1, g], [2, b]]) pixels[i + k] = (c * alpha + pixels[i + k] * a0 * (1 - alpha)) / a;
  pixels[i + 3] = a;
}

/** Coverage of a rounded rectangle at a pixel, 4×4 supersampled for smooth edges. */
function roundedRectCoverage(px, py, x0, y0, x1, y1, radius) {
  let inside = 0;
  for (let sy = 0; sy < 4; sy++) {
    for (let sx = 0; sx < 4; sx++) {
      const x = px + (sx + 0.5) / 4;
      const y = py + (sy + 0.5) / 4;
      const cx = Math.min(Math.max(x, x0 + radius), x1 - radius);
      const cy = Math.min(Math.max(y, y0 + radius), y1 - radius);
      if (x >= x0 && x <= x1 && y >= y0 && y <= y1 && (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2) inside++;
    }
  }
  return inside / 16;
}

function fillRoundedRect(x0, y0, x1, y1, radius, color, alpha = 1) {
  for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
    for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
      blend(x, y, color, alpha * roundedRectCoverage(x, y, x0, y0, x1, y1, radius));
    }
  }
}

// Background tile with a vertical gradient.
for (let y = 0; y < SIZE; y++) {
  const t = y / SIZE;
  const color = [0.16 + 0.1 * t, 0.18 + 0.02 * t, 0.52 - 0.12 * t];
  for (let x = 0; x < SIZE; x++) blend(x, y, color, roundedRectCoverage(x, y, 16, 16, SIZE - 16, SIZE - 16, 96));
}

// Waveform: bars of a speech-like envelope on the left, shrinking into a flat summary line.
const white = [1, 1, 1];
const bars = 13;
const barWidth = 18;
const gap = 10;
const left = 96;
const mid = 236;
for (let index = 0; index < bars; index++) {
  const envelope = 0.35 + 0.65 * Math.abs(Math.sin(index * 1.7) * Math.cos(index * 0.55));
  const fade = index < 8 ? 1 : 1 - (index - 7) / 7;
  const half = Math.max(9, 120 * envelope * fade);
  const x0 = left + index * (barWidth + gap);
  fillRoundedRect(x0, mid - half, x0 + barWidth, mid + half, barWidth / 2, white, 0.55 + 0.45 * fade);
}
// Two "summary" lines under the waveform: the condensed result.
fillRoundedRect(96, 388, 416, 408, 10, white, 0.95);
fillRoundedRect(96, 424, 336, 444, 10, white, 0.7);

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    const i = (y * SIZE + x) * 4;
    const o = y * (SIZE * 4 + 1) + 1 + x * 4;
    for (let k = 0; k < 4; k++) raw[o + k] = Math.round(Math.min(1, Math.max(0, pixels[i + k])) * 255);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buffer) => {
  let c = 0xffffffff;
  for (const byte of buffer) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};
const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk("IHDR", header),
  chunk("IDAT", zlib.deflateSync(raw, { level: 9 })),
  chunk("IEND", Buffer.alloc(0)),
]);
fs.writeFileSync(out, png);
process.stderr.write(`wrote ${path.relative(root, out)} (${png.length} bytes)\n`);

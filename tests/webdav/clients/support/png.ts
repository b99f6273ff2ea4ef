// A small PNG reader for the browser test: checks the signature and chunk CRCs and
// decodes 8-bit, non-interlaced greyscale, RGB and RGBA images (what Chromium's
// screenshots are) into RGBA pixels.

import { inflateSync } from "node:zlib";

/** A decoded image: `width × height` pixels, 4 bytes (RGBA) each. */
export interface RgbaImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Decodes `png`; throws on anything malformed or unsupported. */
export function decodePng(png: Uint8Array): RgbaImage {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new Error("not a PNG");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = 8;
  let header: { width: number; height: number; depth: number; colorType: number } | undefined;
  const data: Uint8Array[] = [];
  let ended = false;
  for (let i = 0; i < 100_000 && offset + 12 <= png.length; i++) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(png.subarray(offset + 4, offset + 8));
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (body.length !== length) throw new Error(`truncated ${type} chunk`);
    const crc = view.getUint32(offset + 8 + length);
    if (crc32(png.subarray(offset + 4, offset + 8 + length)) !== crc) {
      throw new Error(`bad CRC in ${type}`);
    }
    if (type === "IHDR") {
      const h = new DataView(body.buffer, body.byteOffset, body.byteLength);
      header = {
        width: h.getUint32(0),
        height: h.getUint32(4),
        depth: body[8]!,
        colorType: body[9]!,
      };
      if (body[12] !== 0) throw new Error("interlaced PNGs are not supported");
    } else if (type === "IDAT") {
      data.push(body);
    } else if (type === "IEND") {
      ended = true;
      break;
    }
    offset += 12 + length;
  }
  if (!header) throw new Error("no IHDR");
  if (!ended) throw new Error("no IEND");
  const channels = { 0: 1, 2: 3, 6: 4 }[header.colorType as 0 | 2 | 6];
  if (header.depth !== 8 || channels === undefined) {
    throw new Error(`unsupported PNG: depth ${header.depth}, color type ${header.colorType}`);
  }
  const raw = new Uint8Array(inflateSync(concat(data)));
  const { width, height } = header;
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error("wrong image data length");
  const pixels = new Uint8Array(width * height * 4);
  let previous = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.slice(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? line[x - channels]! : 0;
      const b = previous[x]!;
      const c = x >= channels ? previous[x - channels]! : 0;
      let add = 0;
      if (filter === 1) add = a;
      else if (filter === 2) add = b;
      else if (filter === 3) add = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad filter ${filter}`);
      line[x] = (line[x]! + add) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const out = (y * width + x) * 4;
      const inp = x * channels;
      if (channels === 1) {
        pixels.set([line[inp]!, line[inp]!, line[inp]!, 255], out);
      } else {
        pixels.set([
          line[inp]!,
          line[inp + 1]!,
          line[inp + 2]!,
          channels === 4 ? line[inp + 3]! : 255,
        ], out);
      }
    }
    previous = line;
  }
  return { width, height, pixels };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** How many pixels in a rectangle are "ink": far from white (dark text, link blue). */
export function inkPixels(
  image: RgbaImage,
  box: { x: number; y: number; width: number; height: number },
): number {
  let count = 0;
  const x0 = Math.max(0, Math.floor(box.x)), y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(image.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(image.height, Math.ceil(box.y + box.height));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * image.width + x) * 4;
      const [r, g, b] = [image.pixels[i]!, image.pixels[i + 1]!, image.pixels[i + 2]!];
      if (r + g + b < 3 * 160) count++;
    }
  }
  return count;
}

#!/usr/bin/env node
// Draws the kernelspec logos served at /kernelspecs/{name}/{file} (issue 11, item 5): original,
// flat geometric marks, one folder per mark, each with logo-svg.svg, logo-32x32.png and
// logo-64x64.png (the resource names JupyterLab's launcher reads). The SVG and the PNGs come from
// the same shape list, so they match. Plain Node, deterministic output; run it after changing a
// shape and commit what it writes:  node server/assets/logos/make-logos.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));

// --- shapes, in a 64 × 64 box ------------------------------------------------------------------
const ORANGE = '#e8702a';
const AMBER = '#f7b538';
const BLUE = '#3a6ea5';
const YELLOW = '#ffd43b';
const CHIP = '#2f6b3a';
const PIN = '#9db8a4';

/** A four-pointed sparkle: tips at R on the axes, waist at r on the diagonals. */
function sparkle(cx, cy, R, r, fill) {
  const points = [];
  for (let i = 0; i < 8; i++) {
    const a = (Math.PI / 4) * i - Math.PI / 2;
    const d = i % 2 === 0 ? R : r;
    points.push([cx + d * Math.cos(a), cy + d * Math.sin(a)]);
  }
  return { kind: 'polygon', points, fill };
}

const rect = (x, y, w, h, rx, fill) => ({ kind: 'rect', x, y, w, h, rx, fill });
const polygon = (points, fill) => ({ kind: 'polygon', points, fill });

/** A chip: a rounded body with four pins on each side. */
function chip() {
  const shapes = [];
  for (const p of [18, 26, 34, 42]) {
    shapes.push(rect(p - 0.5, 4, 5, 10, 1.5, PIN), rect(p - 0.5, 50, 5, 10, 1.5, PIN));
    shapes.push(rect(4, p - 0.5, 10, 5, 1.5, PIN), rect(50, p - 0.5, 10, 5, 1.5, PIN));
  }
  shapes.push(rect(10, 10, 44, 44, 7, CHIP));
  return shapes;
}

/** A `>_` prompt, scaled by s about the box centre. */
function prompt(s) {
  const t = ([x, y]) => [32 + (x - 32) * s, 32 + (y - 32) * s];
  return [
    polygon([[14, 18], [33, 32], [14, 46], [14, 38], [23, 32], [14, 26]].map(t), YELLOW),
    polygon([[35, 40], [51, 40], [51, 46], [35, 46]].map(t), YELLOW)
  ];
}

const MARKS = {
  // Spark profiles: a large sparkle and a small one.
  spark: [sparkle(27, 37, 25, 7, ORANGE), sparkle(49, 14, 11, 3.2, AMBER)],
  // Spark with GPUs: the sparkle on a chip.
  'spark-gpu': [...chip(), sparkle(32, 32, 17, 4.8, ORANGE)],
  // Plain Python kernels: a prompt on a blue tile.
  python: [rect(4, 4, 56, 56, 11, BLUE), ...prompt(1)],
  // Plain Python with GPUs: the prompt on a chip.
  'python-gpu': [...chip(), ...prompt(0.72)]
};

// --- SVG ---------------------------------------------------------------------------------------
const num = (v) => String(Math.round(v * 100) / 100);
function svg(shapes) {
  const body = shapes.map((s) =>
    s.kind === 'rect'
      ? `  <rect x="${num(s.x)}" y="${num(s.y)}" width="${num(s.w)}" height="${num(s.h)}" rx="${num(s.rx)}" fill="${s.fill}"/>`
      : `  <polygon points="${s.points.map((p) => p.map(num).join(',')).join(' ')}" fill="${s.fill}"/>`
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">\n${body.join('\n')}\n</svg>\n`;
}

// --- PNG (4 × 4 supersampling, shapes painted in order) ----------------------------------------
function inside(s, x, y) {
  if (s.kind === 'rect') {
    if (x < s.x || y < s.y || x > s.x + s.w || y > s.y + s.h) return false;
    const cx = Math.min(Math.max(x, s.x + s.rx), s.x + s.w - s.rx);
    const cy = Math.min(Math.max(y, s.y + s.rx), s.y + s.h - s.rx);
    return (x - cx) ** 2 + (y - cy) ** 2 <= s.rx ** 2;
  }
  let odd = false;
  const p = s.points;
  for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
    const [xi, yi] = p[i];
    const [xj, yj] = p[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

function raster(shapes, size) {
  const n = 4;
  const scale = 64 / size;
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      // Average premultiplied colour over the samples; each sample takes its topmost shape.
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n) * scale;
          const y = (py + (sy + 0.5) / n) * scale;
          for (let k = shapes.length - 1; k >= 0; k--) {
            if (inside(shapes[k], x, y)) {
              const [cr, cg, cb] = rgb(shapes[k].fill);
              r += cr; g += cg; b += cb; a += 1;
              break;
            }
          }
        }
      }
      const o = (py * size + px) * 4;
      if (a > 0) {
        out[o] = Math.round(r / a);
        out[o + 1] = Math.round(g / a);
        out[o + 2] = Math.round(b / a);
        out[o + 3] = Math.round((255 * a) / (n * n));
      }
    }
  }
  return png(out, size);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, k) => {
  let c = k;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(rgba, size) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0))
  ]);
}

for (const [mark, shapes] of Object.entries(MARKS)) {
  const dir = path.join(here, mark);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'logo-svg.svg'), svg(shapes));
  writeFileSync(path.join(dir, 'logo-32x32.png'), raster(shapes, 32));
  writeFileSync(path.join(dir, 'logo-64x64.png'), raster(shapes, 64));
  console.log(`wrote ${path.relative(process.cwd(), dir)}/{logo-svg.svg,logo-32x32.png,logo-64x64.png}`);
}

// Draws the app and tray icons into assets/ (run: `npx node scripts/generate-icons.ts`; the PNGs are committed).
// Shapes differ per tray state, not only colours, so the state reads without colour vision too.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

type Rgba = readonly [number, number, number, number];
/** Colour of the pixel at (x, y) in a 0–1 square, or null for transparent. */
type Painter = (x: number, y: number) => Rgba | null;

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Renders with 4×4 supersampling so edges are smooth at 16 px. */
function render(size: number, paint: Painter): Buffer {
  const samples = 4;
  const rows: Buffer[] = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const colour = paint((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size);
          if (!colour) continue;
          const alpha = colour[3] / 255;
          r += colour[0] * alpha;
          g += colour[1] * alpha;
          b += colour[2] * alpha;
          a += alpha;
        }
      }
      const n = samples * samples;
      const offset = 1 + px * 4;
      row[offset] = a ? Math.round(r / a) : 0;
      row[offset + 1] = a ? Math.round(g / a) : 0;
      row[offset + 2] = a ? Math.round(b / a) : 0;
      row[offset + 3] = Math.round((a / n) * 255);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const distance = (x: number, y: number, cx = 0.5, cy = 0.5): number => Math.hypot(x - cx, y - cy);
const WHITE: Rgba = [255, 255, 255, 255];

const TRAY: Record<string, { colour: Rgba; glyph: (x: number, y: number) => 'fill' | 'cut' | null }> = {
  // A filled dot: working.
  contributing: { colour: [31, 157, 85, 255], glyph: (x, y) => (distance(x, y) <= 0.42 ? 'fill' : null) },
  // A dot with a pause sign cut out.
  paused: {
    colour: [183, 121, 31, 255],
    glyph: (x, y) => {
      if (distance(x, y) > 0.42) return null;
      const bar = y > 0.3 && y < 0.7 && ((x > 0.33 && x < 0.45) || (x > 0.55 && x < 0.67));
      return bar ? 'cut' : 'fill';
    },
  },
  // An empty ring: not connected.
  offline: {
    colour: [138, 148, 166, 255],
    glyph: (x, y) => (distance(x, y) <= 0.42 && distance(x, y) >= 0.3 ? 'fill' : null),
  },
  // A dot with an exclamation mark cut out.
  error: {
    colour: [197, 48, 48, 255],
    glyph: (x, y) => {
      if (distance(x, y) > 0.42) return null;
      const stem = x > 0.44 && x < 0.56 && y > 0.24 && y < 0.58;
      const dot = distance(x, y, 0.5, 0.7) < 0.065;
      return stem || dot ? 'cut' : 'fill';
    },
  },
};

const here = join(import.meta.dirname, '..', 'assets');
for (const [state, { colour, glyph }] of Object.entries(TRAY)) {
  const paint: Painter = (x, y) => (glyph(x, y) === 'fill' ? colour : null);
  writeFileSync(join(here, `tray-${state}.png`), render(16, paint));
  writeFileSync(join(here, `tray-${state}@2x.png`), render(32, paint));
}

// The app icon: a blue rounded square with a white ring of three linked nodes (peers helping each other).
const BLUE: Rgba = [47, 111, 222, 255];
const appIcon: Painter = (x, y) => {
  const inset = 0.06;
  const radius = 0.2;
  const qx = Math.max(Math.abs(x - 0.5) - (0.5 - inset - radius), 0);
  const qy = Math.max(Math.abs(y - 0.5) - (0.5 - inset - radius), 0);
  if (Math.hypot(qx, qy) > radius) return null;
  const nodes = [0, 1, 2].map((index) => {
    const angle = -Math.PI / 2 + (index * 2 * Math.PI) / 3;
    return [0.5 + 0.24 * Math.cos(angle), 0.53 + 0.24 * Math.sin(angle)] as const;
  });
  for (const [cx, cy] of nodes) if (distance(x, y, cx, cy) < 0.085) return WHITE;
  const ring = Math.abs(distance(x, y, 0.5, 0.53) - 0.24);
  if (ring < 0.025) return WHITE;
  return BLUE;
};
writeFileSync(join(here, 'icon.png'), render(1024, appIcon));
console.log('icons written to', here);

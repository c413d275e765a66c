// The scaling plot for BENCHMARKS.md: per-node messages, kilobytes and CPU per second against N (log x),
// each as a ratio to the smallest size, so "flat" reads as a horizontal line at 1.
import type { ScaleResult } from './scale.ts';

const WIDTH = 640;
const HEIGHT = 360;
const PAD = { left: 60, right: 170, top: 40, bottom: 50 };
const SERIES = [
  { key: 'msgsPerNodePerSec', label: 'messages / node / s', color: '#1f77b4' },
  { key: 'bytesPerNodePerSec', label: 'bytes / node / s', color: '#2ca02c' },
  { key: 'cpuMsPerNodePerSec', label: 'CPU ms / node / s', color: '#d62728' },
] as const;

export function costPlotSvg(results: readonly ScaleResult[], machine: string): string {
  const base = results[0];
  if (base === undefined) return '<svg xmlns="http://www.w3.org/2000/svg"/>';
  const xs = results.map((r) => Math.log10(r.nodes));
  const xMin = Math.min(...xs) - 0.1;
  const xMax = Math.max(...xs) + 0.1;
  const ratios = results.flatMap((r) => SERIES.map((s) => r[s.key] / base[s.key]));
  const yMax = Math.max(2, Math.ceil(Math.max(...ratios) * 2) / 2);
  const x = (n: number): number =>
    PAD.left + ((Math.log10(n) - xMin) / (xMax - xMin)) * (WIDTH - PAD.left - PAD.right);
  const y = (ratio: number): number => HEIGHT - PAD.bottom - (ratio / yMax) * (HEIGHT - PAD.top - PAD.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${PAD.left}" y="20" font-size="14">Per-node membership cost vs cluster size (ratio to N = ${base.nodes})</text>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${WIDTH - PAD.right}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${PAD.left}" y2="${y(yMax)}" stroke="black"/>`,
    `<line x1="${PAD.left}" y1="${y(1.5)}" x2="${WIDTH - PAD.right}" y2="${y(1.5)}" stroke="#999" stroke-dasharray="4 4"/>`,
    `<text x="${WIDTH - PAD.right + 4}" y="${y(1.5) + 4}" fill="#666">goal ≤ 1.5×</text>`,
  ];
  for (let tick = 0; tick <= yMax; tick += 0.5)
    parts.push(`<text x="${PAD.left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick.toFixed(1)}×</text>`);
  for (const r of results)
    parts.push(
      `<text x="${x(r.nodes)}" y="${HEIGHT - PAD.bottom + 18}" text-anchor="middle">${r.nodes.toLocaleString('en')}</text>`,
    );
  parts.push(
    `<text x="${(PAD.left + WIDTH - PAD.right) / 2}" y="${HEIGHT - 12}" text-anchor="middle">nodes in the cluster (log scale); ${escapeXml(machine)}</text>`,
  );
  SERIES.forEach((series, i) => {
    const points = results.map(
      (r) => `${x(r.nodes).toFixed(1)},${y(r[series.key] / base[series.key]).toFixed(1)}`,
    );
    parts.push(
      `<polyline fill="none" stroke="${series.color}" stroke-width="2" points="${points.join(' ')}"/>`,
    );
    for (const point of points) {
      const [px, py] = point.split(',');
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${series.color}"/>`);
    }
    const absolute = `${series.label}: ${base[series.key]}`;
    parts.push(
      `<text x="${WIDTH - PAD.right + 4}" y="${PAD.top + 20 + i * 32}" fill="${series.color}">${series.label}</text>`,
    );
    parts.push(
      `<text x="${WIDTH - PAD.right + 4}" y="${PAD.top + 34 + i * 32}" fill="#666" font-size="10">at ${base.nodes}: ${escapeXml(absolute.split(': ')[1] ?? '')}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

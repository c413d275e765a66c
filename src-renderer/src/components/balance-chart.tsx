import type { BalancePoint } from '../../../src-shared/ipc/index.ts';
import { formatTime, formatTokens } from '../format.ts';

const WIDTH = 640;
const HEIGHT = 180;
const PAD = 8;
const TOP_ROOM = 20;
const BOTTOM_ROOM = 20;

/**
 * The balance over time as a line; a plain SVG, so it needs no chart library and works offline. The scale
 * spans the lowest to the highest balance (not zero to the highest): a chat moves a balance of thousands by a
 * fraction of a token, which a scale from zero would flatten into nothing.
 */
export function BalanceChart({ series }: { readonly series: readonly BalancePoint[] }) {
  if (series.length < 2) return <p className="empty">Not enough history for a chart yet.</p>;
  const first = series[0] as BalancePoint;
  const last = series[series.length - 1] as BalancePoint;
  const times = series.map((point) => point.at);
  const values = series.map((point) => point.balance);
  const minT = Math.min(...times);
  const spanT = Math.max(1, Math.max(...times) - minT);
  const lowest = Math.min(...values);
  const highest = Math.max(...values);
  const spanV = Math.max(1, highest - lowest);
  const x = (at: number) => PAD + ((at - minT) / spanT) * (WIDTH - 2 * PAD);
  const y = (value: number) =>
    HEIGHT - BOTTOM_ROOM - ((value - lowest) / spanV) * (HEIGHT - BOTTOM_ROOM - TOP_ROOM);
  const path = series
    .map(
      (point, index) => `${index === 0 ? 'M' : 'L'}${x(point.at).toFixed(1)},${y(point.balance).toFixed(1)}`,
    )
    .join(' ');
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Balance from ${formatTokens(first.balance)} to ${formatTokens(last.balance)}`}
      >
        {lowest <= 0 && highest >= 0 && (
          <line x1={PAD} x2={WIDTH - PAD} y1={y(0)} y2={y(0)} className="chart-zero" />
        )}
        <path d={path} className="chart-line" />
        <text x={PAD} y={y(highest) - 4} className="chart-label">
          {formatTokens(highest)}
        </text>
        {lowest !== highest && (
          <text x={PAD} y={y(lowest) + 14} className="chart-label">
            {formatTokens(lowest)}
          </text>
        )}
      </svg>
      <figcaption className="hint">
        {formatTime(first.at)} – {formatTime(last.at)}
      </figcaption>
    </figure>
  );
}

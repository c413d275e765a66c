import type { BalancePoint } from '../../../src-shared/ipc/index.ts';
import { formatTime, formatTokens } from '../format.ts';

const WIDTH = 640;
const HEIGHT = 180;
const PAD = 8;
const TOP_ROOM = 20;

/** The balance over time as a line; a plain SVG, so it needs no chart library and works offline. */
export function BalanceChart({ series }: { readonly series: readonly BalancePoint[] }) {
  if (series.length < 2) return <p className="empty">Not enough history for a chart yet.</p>;
  const first = series[0] as BalancePoint;
  const last = series[series.length - 1] as BalancePoint;
  const times = series.map((point) => point.at);
  const values = series.map((point) => point.balance);
  const minT = Math.min(...times);
  const spanT = Math.max(1, Math.max(...times) - minT);
  const minV = Math.min(0, ...values);
  const spanV = Math.max(1, Math.max(...values) - minV);
  const x = (at: number) => PAD + ((at - minT) / spanT) * (WIDTH - 2 * PAD);
  const y = (value: number) => HEIGHT - PAD - ((value - minV) / spanV) * (HEIGHT - PAD - TOP_ROOM);
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
        <line x1={PAD} x2={WIDTH - PAD} y1={y(0)} y2={y(0)} className="chart-zero" />
        <path d={path} className="chart-line" />
        <text x={PAD} y={y(Math.max(...values)) - 4} className="chart-label">
          {formatTokens(Math.max(...values))}
        </text>
      </svg>
      <figcaption className="hint">
        {formatTime(first.at)} – {formatTime(last.at)}
      </figcaption>
    </figure>
  );
}

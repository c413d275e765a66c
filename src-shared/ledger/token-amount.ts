// Micro-token amounts as people read them: "1,234.5 tokens". Exact: no floating point on the way.
import { MICRO_PER_TOKEN } from './ledger-params.ts';

/** "1,234.5" for 1,234,500,000 µT; negative amounts keep their sign. */
export function formatTokens(micro: bigint): string {
  const negative = micro < 0n;
  const abs = negative ? -micro : micro;
  const whole = (abs / MICRO_PER_TOKEN).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = (abs % MICRO_PER_TOKEN).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

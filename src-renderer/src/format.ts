// Numbers and times the way a person reads them.
import { formatTokens as formatLedgerAmount } from '../../src-shared/ledger/token-amount.ts';

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/**
 * A contract amount (micro-tokens) as the ledger writes it, "9,999.188": exact, never rounded, the same text
 * as GET /api/ledger, so what the page shows is what the ledger holds.
 */
export function formatTokenAmount(micro: number): string {
  return formatLedgerAmount(BigInt(Math.trunc(micro)));
}

/** "9,999.188 tokens", "1 token". */
export function formatTokens(micro: number): string {
  const amount = formatTokenAmount(micro);
  return `${amount} ${amount === '1' || amount === '-1' ? 'token' : 'tokens'}`;
}

export function formatNumber(value: number): string {
  return whole.format(value);
}

export function formatGb(value: number): string {
  return `${oneDecimal.format(value)} GB`;
}

export function formatTime(at: number): string {
  return new Date(at).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

// Numbers and times the way a person reads them.
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function formatTokens(amount: number): string {
  return `${whole.format(amount)} ${Math.abs(amount) === 1 ? 'token' : 'tokens'}`;
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

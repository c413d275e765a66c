// An error or abort reason as one bounded line for the other side and the logs.
export function reasonText(reason: unknown): string {
  const text = reason instanceof Error ? reason.message : String(reason);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

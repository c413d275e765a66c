/** The hardware scan failed or took too long; the node cannot tell which tiers it qualifies for. */
export class ProfileScanError extends Error {
  override readonly name = 'ProfileScanError';
}

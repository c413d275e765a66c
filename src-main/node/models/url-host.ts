// The server a download URL names, for messages a contributor reads ("huggingface.co refused the range").

/** The host (and port) of `url`, or "the server" when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

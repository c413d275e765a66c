// The Content-Security-Policy of the UI, wherever it is served: as a header by the Electron session and by
// the node's local API when it serves the built dashboard at `/`. The page's own <meta> policy (index.html)
// additionally allows other loopback ports, for a `ws=` override in the link.

/** Scripts and styles only from the app itself, no eval, no frames, no plugins, no forms posting elsewhere. */
export const DASHBOARD_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Who may talk to the local API (CONVENTIONS.md §8; security findings 2 and 26): the Host header must name
// this server on a loopback name (DNS rebinding), an absolute-form request target must too, a browser's
// Origin must be this server's own page (CSRF, cross-origin WebSockets), and the key is compared in constant
// time. Pure functions over a request's target and headers, so the upgrade path and the request path agree.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The path and query of a request target, or null when the target is malformed or names another host. */
export function parseRequestTarget(target: string | undefined, port: number): URL | null {
  if (target === undefined || target.length === 0) return null;
  let url: URL;
  try {
    // Origin-form ("/api/status") is the normal case; absolute-form ("http://host:port/…") must name us.
    url = new URL(target, 'http://127.0.0.1');
  } catch {
    return null;
  }
  if (!target.startsWith('/')) {
    if (url.protocol !== 'http:' && url.protocol !== 'ws:') return null;
    if (!isLoopbackHostPort(url.host, port)) return null;
  }
  return url;
}

/** True when `host` ("name:port") is a loopback name of this server. */
export function isLoopbackHostPort(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const match = /^(\[::1\]|[^:[\]]+):(\d{1,5})$/.exec(host);
  if (!match) return false;
  return LOOPBACK_HOSTS.has(match[1]!.toLowerCase()) && Number(match[2]) === port;
}

/**
 * A request without an Origin comes from a program (curl, an OpenAI client): the key decides. A browser sends
 * one on every cross-origin fetch and on every WebSocket: only this server's own page (and origins the owner
 * named, such as the e2e dashboard's preview server) may call.
 */
export function originAllowed(
  headers: IncomingHttpHeaders,
  port: number,
  extraOrigins: ReadonlySet<string>,
): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (extraOrigins.has(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file:// pages) and garbage
  }
  return url.protocol === 'http:' && url.origin === origin && isLoopbackHostPort(url.host, port);
}

/** The key from `Authorization: Bearer …` (any case, as RFC 7235 says) or `X-API-Key`. */
export function keyFromHeaders(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (match) return match[1]!;
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : null;
}

/** Compares keys by fixed-length digests: timingSafeEqual needs equal lengths, and the length must not leak. */
export class ApiKeyCheck {
  readonly #digest: Buffer;

  constructor(key: string) {
    this.#digest = digest(key);
  }

  matches(candidate: string | null): boolean {
    if (candidate === null) return false;
    return timingSafeEqual(digest(candidate), this.#digest);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

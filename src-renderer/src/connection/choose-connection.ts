// Decides how this UI reaches its node: Electron IPC inside the desktop app, otherwise the node's
// `/api/ws` with the API key (from the link's #fragment, this tab's storage, or a prompt).
import { WS_PATH, type ContractTransport } from '../../../src-shared/ipc/index.ts';
import { findElectronTransport } from '../transport/electron-transport.ts';

export type ConnectionTarget =
  | { readonly kind: 'electron'; readonly transport: ContractTransport }
  | { readonly kind: 'websocket'; readonly url: string; readonly apiKey: string }
  | { readonly kind: 'needs-key'; readonly url: string };

export interface PageContext {
  readonly location: Pick<Location, 'protocol' | 'host' | 'hash' | 'pathname' | 'search'>;
  readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  readonly replaceUrl: (url: string) => void;
  readonly globalObject: object;
}

export const KEY_STORAGE = 'opengateway.apiKey';
const URL_STORAGE = 'opengateway.wsUrl';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A `ws=` in the fragment may point at another port of this computer (the e2e fixture, a node on a
 * non-default port), never anywhere else: a link must not be able to send your chats to a stranger. It
 * counts only together with a `key=` in the same link (security finding 23): a link naming some local port
 * alone would otherwise make the key the user pastes next go to whatever listens there.
 */
export function acceptableWsUrl(candidate: string | null): string | null {
  if (!candidate) return null;
  try {
    const url = new URL(candidate);
    if ((url.protocol !== 'ws:' && url.protocol !== 'wss:') || !LOOPBACK_HOSTS.has(url.hostname)) return null;
    return url.toString();
  } catch {
    return null;
  }
}

export function chooseConnection(page: PageContext): ConnectionTarget {
  const electron = findElectronTransport(page.globalObject);
  if (electron) return { kind: 'electron', transport: electron };

  const fragment = new URLSearchParams(page.location.hash.replace(/^#/, ''));
  const keyFromLink = fragment.get('key');
  const urlFromLink = acceptableWsUrl(fragment.get('ws'));
  if (keyFromLink !== null || fragment.has('ws')) {
    // Keep the key out of the address bar, history and screenshots once read.
    page.replaceUrl(`${page.location.pathname}${page.location.search}`);
  }
  if (keyFromLink) {
    // The link's key and the link's address are kept as a pair: one never goes to the other's place.
    page.storage.setItem(KEY_STORAGE, keyFromLink);
    if (urlFromLink) page.storage.setItem(URL_STORAGE, urlFromLink);
    else page.storage.removeItem(URL_STORAGE);
  }

  const scheme = page.location.protocol === 'https:' ? 'wss' : 'ws';
  const ownUrl = `${scheme}://${page.location.host}${WS_PATH}`;
  const apiKey = page.storage.getItem(KEY_STORAGE);
  if (!apiKey) {
    // A key the user types goes to the node that served this page, never to an address a link named.
    page.storage.removeItem(URL_STORAGE);
    return { kind: 'needs-key', url: ownUrl };
  }
  const url = acceptableWsUrl(page.storage.getItem(URL_STORAGE)) ?? ownUrl;
  return { kind: 'websocket', url, apiKey };
}

/** Forgets the stored key (and the address that came with it), e.g. when the user wants to enter another. */
export function forgetKey(page: Pick<PageContext, 'storage'>): void {
  page.storage.removeItem(KEY_STORAGE);
  page.storage.removeItem(URL_STORAGE);
}

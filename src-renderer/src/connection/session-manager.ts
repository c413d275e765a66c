// Owns the one live session outside React (so StrictMode's double effects cannot open two sockets) and
// lets the UI swap it when the user enters another API key.
import {
  chooseConnection,
  forgetKey,
  KEY_STORAGE,
  type ConnectionTarget,
  type PageContext,
} from './choose-connection.ts';
import { startSession, type Session } from './start-session.ts';

export type SessionView =
  | { readonly kind: 'needs-key' }
  | { readonly kind: 'live'; readonly session: Session; readonly canChangeKey: boolean };

export interface SessionManager {
  readonly view: () => SessionView;
  readonly subscribe: (listener: () => void) => () => void;
  readonly submitKey: (key: string) => void;
  readonly changeKey: () => void;
}

export function createSessionManager(page: PageContext): SessionManager {
  const listeners = new Set<() => void>();
  let view: SessionView = { kind: 'needs-key' };

  const open = (target: ConnectionTarget): void => {
    if (view.kind === 'live') view.session.stop();
    view =
      target.kind === 'needs-key'
        ? { kind: 'needs-key' }
        : { kind: 'live', session: startSession(target), canChangeKey: target.kind === 'websocket' };
    for (const listener of [...listeners]) listener();
  };
  open(chooseConnection(page));

  return {
    view: () => view,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    submitKey(key) {
      page.storage.setItem(KEY_STORAGE, key);
      open(chooseConnection(page));
    },
    changeKey() {
      forgetKey(page);
      open(chooseConnection(page));
    },
  };
}

import { useSyncExternalStore } from 'react';
import { App } from './app.tsx';
import { KeyPrompt } from './components/key-prompt.tsx';
import type { SessionManager } from './connection/session-manager.ts';
import { StoreContext } from './store/use-app.ts';

/** Shows the key prompt when a browser has no key yet, otherwise the app bound to the live session. */
export function Root({ sessions }: { readonly sessions: SessionManager }) {
  const view = useSyncExternalStore(sessions.subscribe, sessions.view);
  if (view.kind === 'needs-key') return <KeyPrompt onSubmit={sessions.submitKey} />;
  return (
    <StoreContext value={view.session.store}>
      <App onChangeKey={view.canChangeKey ? sessions.changeKey : undefined} />
    </StoreContext>
  );
}

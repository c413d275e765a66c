import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createSessionManager } from './connection/session-manager.ts';
import { Root } from './root.tsx';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
const sessions = createSessionManager({
  location: window.location,
  storage: window.sessionStorage,
  replaceUrl: (url) => window.history.replaceState(null, '', url),
  globalObject: window,
});
createRoot(root).render(
  <StrictMode>
    <Root sessions={sessions} />
  </StrictMode>,
);

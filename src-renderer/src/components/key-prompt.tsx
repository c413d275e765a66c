import { useState, type FormEvent } from 'react';

/** Shown in a browser when no API key came with the link: the node's key protects its API even on 127.0.0.1. */
export function KeyPrompt({ onSubmit }: { readonly onSubmit: (key: string) => void }) {
  const [key, setKey] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim() !== '') onSubmit(key.trim());
  };
  return (
    <main className="key-prompt">
      <h1>OpenGateway</h1>
      <p role="status">Not connected: this dashboard needs your node’s API key.</p>
      <p>
        The headless node prints a link with the key when it starts. You can also run{' '}
        <code>npx opengateway-node status</code> on the computer running the node, or read the file{' '}
        <code>api.key</code> in its data folder.
      </p>
      <form onSubmit={submit}>
        <label>
          API key
          <input
            type="password"
            autoComplete="off"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            aria-describedby="key-help"
          />
        </label>
        <p id="key-help" className="hint">
          The key is kept only in this browser tab.
        </p>
        <button type="submit" className="primary" disabled={key.trim() === ''}>
          Connect
        </button>
      </form>
    </main>
  );
}

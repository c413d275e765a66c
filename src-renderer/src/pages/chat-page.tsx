import { useEffect, type FormEvent, type KeyboardEvent } from 'react';
import { formatTokens } from '../format.ts';
import { regionLabel } from '../labels.ts';
import type { ChatNotice } from '../store/app-state.ts';
import { selectCanSend, selectLowBalanceMessage, selectSelectedModel } from '../store/selectors.ts';
import { useApp } from '../store/use-app.ts';

const NOTICE_TITLES: Readonly<Record<ChatNotice['reason'], string>> = {
  'low-balance': 'Balance too low',
  'no-capacity': 'No computer can answer right now',
  'queue-timeout': 'Waited too long in line',
  'worker-failed': 'The answering computer stopped',
  cancelled: 'Stopped',
  'invalid-request': 'The request was not accepted',
  error: 'Could not send',
};

function ModelPicker() {
  const models = useApp((state) => state.models);
  const selected = useApp((state) => state.selectedModel);
  const selectModel = useApp((state) => state.selectModel);
  const region = useApp((state) => state.region?.region ?? null);
  const model = useApp(selectSelectedModel);
  if (models.length === 0)
    return <p className="empty">No models are offered in {regionLabel(region)} yet.</p>;
  return (
    <div className="model-picker">
      <label>
        Model
        <select value={selected ?? ''} onChange={(event) => selectModel(event.target.value)}>
          {models.map((entry) => (
            <option key={entry.id} value={entry.id} disabled={!entry.available}>
              {entry.label}
              {entry.available
                ? ` — ${entry.pricePer1k} ${entry.pricePer1k === 1 ? 'token' : 'tokens'} per 1,000 units of text`
                : ' — not available now'}
            </option>
          ))}
        </select>
      </label>
      <p className="hint">
        You chat with the computers of {regionLabel(region)}: a model none of them serves now cannot be
        chosen.
      </p>
      {models
        .filter((entry) => !entry.available && entry.unavailableReason)
        .map((entry) => (
          <p key={entry.id} className="hint">
            {entry.label}: {entry.unavailableReason}
          </p>
        ))}
      {model && !model.available && <p role="alert">{model.unavailableReason}</p>}
    </div>
  );
}

function Conversation() {
  const conversation = useApp((state) => state.conversation);
  const active = useApp((state) => state.active);
  if (conversation.length === 0 && !active)
    return (
      <p className="empty">
        Ask anything. Your question goes to a computer in your region; you pay it in tokens.
      </p>
    );
  return (
    <ol className="conversation" aria-label="Conversation">
      {conversation.map((turn, index) => (
        <li key={index} className={`turn turn-${turn.role}`}>
          <span className="turn-who">{turn.role === 'user' ? 'You' : 'Answer'}</span>
          <p>{turn.content}</p>
          {turn.cost !== undefined && <span className="hint">Cost: {formatTokens(turn.cost)}</span>}
        </li>
      ))}
      {active && (
        <li className="turn turn-assistant" aria-live="polite" data-testid="streaming-reply">
          <span className="turn-who">Answer</span>
          {active.phase === 'queued' && active.queuePosition !== null && (
            <p role="status" className="queue">
              Every computer is busy. You are number {active.queuePosition} in line.
            </p>
          )}
          {active.phase === 'sending' && <p role="status">Finding a computer to answer…</p>}
          {active.text !== '' && <p>{active.text}</p>}
        </li>
      )}
    </ol>
  );
}

function Composer() {
  const draft = useApp((state) => state.draft);
  const setDraft = useApp((state) => state.setDraft);
  const estimate = useApp((state) => state.estimate);
  const refreshEstimate = useApp((state) => state.refreshEstimate);
  const selected = useApp((state) => state.selectedModel);
  const send = useApp((state) => state.send);
  const stop = useApp((state) => state.stop);
  const active = useApp((state) => state.active);
  const canSend = useApp(selectCanSend);
  const lowBalance = useApp(selectLowBalanceMessage);
  const available = useApp((state) => state.balance?.available ?? null);

  // Ask for a fresh estimate once typing pauses, not on every keystroke.
  useEffect(() => {
    const timer = setTimeout(() => void refreshEstimate(), 250);
    return () => clearTimeout(timer);
  }, [draft, selected, refreshEstimate]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canSend) void send();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      if (canSend) void send();
    }
  };
  return (
    <form className="composer" onSubmit={submit}>
      {lowBalance && (
        <p role="alert" className="banner banner-bad">
          {lowBalance}
        </p>
      )}
      <label className="visually-hidden" htmlFor="chat-input">
        Your message
      </label>
      <textarea
        id="chat-input"
        rows={3}
        placeholder="Type your message (Enter sends, Shift+Enter for a new line)"
        value={draft}
        maxLength={32_000}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="composer-bar">
        <p className="hint" data-testid="cost-estimate">
          {estimate
            ? `This message costs about ${formatTokens(estimate.typicalCost)} (at most ${formatTokens(estimate.maxCost)})${available === null ? '' : ` of your ${formatTokens(available)}`}.`
            : 'The cost appears here before you send.'}
        </p>
        {active ? (
          <button type="button" onClick={() => void stop()}>
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" disabled={!canSend}>
            Send
          </button>
        )}
      </div>
    </form>
  );
}

export function ChatPage() {
  const notice = useApp((state) => state.chatNotice);
  const clear = useApp((state) => state.clearConversation);
  const hasConversation = useApp((state) => state.conversation.length > 0);
  return (
    <div className="page chat-page">
      <h2>Chat</h2>
      <ModelPicker />
      <Conversation />
      {notice && (
        <div role="alert" className={notice.reason === 'cancelled' ? 'banner' : 'banner banner-bad'}>
          <strong>{NOTICE_TITLES[notice.reason]}.</strong> {notice.message}
        </div>
      )}
      <Composer />
      {hasConversation && (
        <button type="button" className="link" onClick={clear}>
          Start a new conversation
        </button>
      )}
    </div>
  );
}

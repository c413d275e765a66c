import { useApp } from '../store/use-app.ts';

/** Says plainly when the UI cannot reach its node, so stale numbers are never mistaken for live ones. */
export function ConnectionBanner({ onChangeKey }: { readonly onChangeKey?: () => void }) {
  const connection = useApp((state) => state.connection);
  const notice = useApp((state) => state.notice);
  const dismiss = useApp((state) => state.dismissNotice);
  return (
    <>
      {connection.state === 'connecting' && (
        <p role="status" className="banner">
          Connecting to your OpenGateway node…
        </p>
      )}
      {connection.state === 'disconnected' && (
        <div role="status" className="banner banner-bad">
          <p>
            Not connected to your OpenGateway node. Retrying… (attempt {connection.attempts}). The numbers
            below may be out of date.
          </p>
          {onChangeKey && connection.attempts >= 3 && (
            <p>
              If the node is running, the API key may be wrong.{' '}
              <button type="button" className="link" onClick={onChangeKey}>
                Enter the key again
              </button>
            </p>
          )}
        </div>
      )}
      {notice && (
        <div role="alert" className="banner banner-bad">
          <p>{notice}</p>
          <button type="button" className="link" onClick={dismiss}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}

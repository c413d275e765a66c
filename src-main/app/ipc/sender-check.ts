// Every IPC call is checked against who sent it (Electron security checklist #17): only the top frame of
// one of our own windows, showing our own renderer, may call the node.
import type { IpcMainInvokeEvent } from 'electron';

export interface SenderCheckInit {
  /** The ids of the webContents of our windows (the main window today). */
  readonly trustedWebContentsIds: () => ReadonlySet<number>;
  /** The renderer's address: a file:// URL of index.html when packaged, the dev server's URL in development. */
  readonly rendererUrl: string;
}

/** The parts of an invoke event the check reads (so tests can build one without Electron). */
export type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

export type SenderCheck = (event: SenderEvent) => boolean;

export function createSenderCheck(init: SenderCheckInit): SenderCheck {
  const expected = new URL(init.rendererUrl);
  return (event) => {
    if (!init.trustedWebContentsIds().has(event.sender.id)) return false;
    const frame = event.senderFrame;
    // A null frame has navigated away or been destroyed; a child frame is never ours.
    if (!frame || frame.parent !== null) return false;
    let actual: URL;
    try {
      actual = new URL(frame.url);
    } catch {
      return false;
    }
    if (expected.protocol === 'file:')
      return actual.protocol === 'file:' && actual.pathname === expected.pathname;
    return actual.origin === expected.origin;
  };
}

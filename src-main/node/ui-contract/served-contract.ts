// What the node's own transports (`/api/ws`) serve: the node's contract, or the contract of a shell in front
// of it. The desktop app wraps pause, settings and updates around the node's calls; serving its version on
// the node's browser dashboard too means both ways in reach the same place (one saved pause, one tray).
import {
  CALL_NAMES,
  type CallName,
  type ContractHandlers,
  type NotificationListener,
  type NotificationSource,
} from '../../../src-shared/ipc/index.ts';

/** Calls and notifications of a shell in front of the node. */
export interface ContractFront {
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly notifications: NotificationSource;
}

export interface ServedContract extends ContractFront {
  /** Serve the front's calls and notifications from now on (null: the node's own again). */
  serveFrom(front: ContractFront | null): void;
}

type AnyHandler = (input: never, context: never) => Promise<unknown>;

export function createServedContract(own: ContractFront): ServedContract {
  let front: ContractFront | null = null;
  // Looked up on every call, so a front set after a dashboard connected answers it too.
  const handlers = {} as Record<CallName, AnyHandler>;
  for (const name of CALL_NAMES) {
    handlers[name] = (input, context) => ((front ?? own).handlers[name] as AnyHandler)(input, context);
  }
  const notifications = followSource(own.notifications);
  return {
    handlers: handlers as unknown as ContractHandlers<AbortSignal>,
    notifications,
    serveFrom(next) {
      front = next;
      notifications.switchTo(next?.notifications ?? own.notifications);
    },
  };
}

/** A notification source that forwards from whichever source is current, to listeners old and new. */
function followSource(initial: NotificationSource): NotificationSource & {
  switchTo(source: NotificationSource): void;
} {
  const listeners = new Set<NotificationListener>();
  const fanOut: NotificationListener = (notification) => {
    for (const listener of [...listeners]) listener(notification);
  };
  let source = initial;
  let unsubscribe = source.subscribe(fanOut);
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    switchTo(next) {
      if (next === source) return;
      unsubscribe();
      source = next;
      unsubscribe = source.subscribe(fanOut);
    },
  };
}

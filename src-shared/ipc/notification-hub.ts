// Where the node publishes contract notifications and every transport (Electron IPC, each WebSocket)
// subscribes. Payloads are validated on publish so a node bug cannot push a malformed shape to the UI.
import {
  IPC_NOTIFICATIONS,
  type Notification,
  type NotificationName,
  type NotificationPayload,
} from './contract.ts';

export type NotificationListener = (notification: Notification) => void;

/** The subscribe side, which is all a transport needs. */
export interface NotificationSource {
  subscribe(listener: NotificationListener): () => void;
}

export interface NotificationHub extends NotificationSource {
  publish<K extends NotificationName>(name: K, payload: NotificationPayload<K>): void;
}

export function createNotificationHub(): NotificationHub {
  const listeners = new Set<NotificationListener>();
  return {
    publish(name, payload) {
      const checked = IPC_NOTIFICATIONS[name].parse(payload, name);
      const notification = { name, payload: checked } as Notification;
      for (const listener of [...listeners]) {
        // One broken transport must not stop the others from hearing about it.
        try {
          listener(notification);
        } catch {
          listeners.delete(listener);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

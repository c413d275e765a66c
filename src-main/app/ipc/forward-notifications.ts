// Pushes contract notifications to our windows over the one notify channel.
import type { WebContents } from 'electron';
import { NOTIFY_CHANNEL, type NotificationSource } from '../../../src-shared/ipc/index.ts';

export type NotificationTarget = Pick<WebContents, 'send' | 'isDestroyed'>;

export function forwardNotifications(
  source: NotificationSource,
  targets: () => readonly NotificationTarget[],
): () => void {
  return source.subscribe((notification) => {
    for (const target of targets()) {
      if (!target.isDestroyed()) target.send(NOTIFY_CHANNEL, notification);
    }
  });
}

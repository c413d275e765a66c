// The notifications the window hears: the node's, except `settings` (the desktop owns the full settings,
// start-at-login included, and publishes them itself), plus the shell's own (`update`, `settings`).
import {
  createNotificationHub,
  type NotificationHub,
  type NotificationSource,
} from '../../src-shared/ipc/index.ts';

export function createDesktopNotifications(node: NotificationSource): NotificationHub {
  const shell = createNotificationHub();
  return {
    publish: (name, payload) => shell.publish(name, payload),
    subscribe(listener) {
      const fromNode = node.subscribe((notification) => {
        if (notification.name !== 'settings') listener(notification);
      });
      const fromShell = shell.subscribe(listener);
      return () => {
        fromNode();
        fromShell();
      };
    },
  };
}

import { describe, expect, it } from 'vitest';
import { createDesktopNotifications } from '../../../src-main/app/desktop-notifications.ts';
import { createNotificationHub, DEFAULT_SETTINGS, type Notification } from '../../../src-shared/ipc/index.ts';

describe('createDesktopNotifications', () => {
  it("passes the node's notifications except settings, which the desktop publishes itself", () => {
    const node = createNotificationHub();
    const desktop = createDesktopNotifications(node);
    const heard: Notification[] = [];
    const stop = desktop.subscribe((notification) => heard.push(notification));
    node.publish('status', { status: 'starting' });
    node.publish('settings', { ...DEFAULT_SETTINGS, startAtLogin: null });
    desktop.publish('settings', { ...DEFAULT_SETTINGS, startAtLogin: true });
    desktop.publish('update', { state: 'checking' });
    expect(heard.map(({ name }) => name)).toEqual(['status', 'settings', 'update']);
    expect(heard[1]?.payload).toMatchObject({ startAtLogin: true });
    stop();
    node.publish('status', { status: 'starting' });
    desktop.publish('update', { state: 'idle' });
    expect(heard).toHaveLength(3);
  });
});

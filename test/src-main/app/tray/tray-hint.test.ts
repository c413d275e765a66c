import { describe, expect, it } from 'vitest';
import { trayHintFor } from '../../../../src-main/app/tray/tray-hint.ts';

describe('the tray’s first notification', () => {
  it.each([
    ['darwin', 'in the menu bar at the top right of the screen'],
    ['win32', 'in the notification area at the bottom right of the taskbar'],
    ['linux', 'in the system tray of your panel'],
  ] as const)('on %s says where the icon is: %s', (platform, where) => {
    expect(trayHintFor(platform).body).toContain(`Find its icon ${where}`);
  });
});

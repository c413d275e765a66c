// The tray's first notification (issue 13): a tray-only app has no window in the Dock or taskbar, so the first
// time it runs it says where its icon is. Pure, per platform.

export interface TrayHint {
  readonly title: string;
  readonly body: string;
}

export function trayHintFor(platform: NodeJS.Platform): TrayHint {
  const where =
    platform === 'darwin'
      ? 'in the menu bar at the top right of the screen'
      : platform === 'win32'
        ? 'in the notification area at the bottom right of the taskbar (under ^ if it is hidden)'
        : 'in the system tray of your panel';
  return {
    title: 'OpenGateway is running',
    body: `Find its icon ${where}: click it to open OpenGateway, pause contributing or quit.`,
  };
}

import { describe, expect, it, vi } from 'vitest';
import { TrayController } from '../../../../src-main/app/tray/tray-controller.ts';
import { nodeStatusSchema } from '../../../../src-shared/ipc/index.ts';
import { Menu, Tray, type MenuItemOptions } from '../electron-mock.ts';

function setup() {
  const actions = { pause: vi.fn(), resume: vi.fn(), open: vi.fn(), quit: vi.fn() };
  const controller = new TrayController(
    {
      createTray: (image) => new Tray(image) as never,
      buildMenu: (template) => Menu.buildFromTemplate(template as MenuItemOptions[]) as never,
      iconFor: (state) => ({ path: `tray-${state}.png` }) as never,
    },
    actions,
  );
  const tray = Tray.instances.at(-1) as Tray;
  const item = (id: string) => tray.menu?.items.find((entry) => entry.id === id);
  return { controller, tray, actions, item };
}

describe('TrayController', () => {
  it('shows status, balance, pause, open and quit, and swaps icon and toggle per state', () => {
    const { controller, tray, actions, item } = setup();
    expect(tray.image).toEqual({ path: 'tray-offline.png' });

    controller.setStatus({ status: 'ready', clusters: 2, since: 1 });
    controller.setBalance({
      available: 1_234_000_000,
      reserved: 0,
      heldAhead: 0,
      earned: 0,
      spent: 0,
      minimumToRequest: 1_000_000_000,
    });
    expect(tray.image).toEqual({ path: 'tray-contributing.png' });
    expect(tray.menu?.items.map((entry) => entry.label ?? entry.type)).toEqual([
      'Contributing (2 clusters)',
      'Balance: 1,234 tokens',
      'separator',
      'Pause contributing',
      'Open OpenGateway',
      'separator',
      'Quit OpenGateway',
    ]);
    expect(item('status')?.enabled).toBe(false);
    item('toggle')?.click?.();
    expect(actions.pause).toHaveBeenCalledOnce();

    controller.setStatus({ status: 'paused', reason: 'user', since: 2 });
    expect(tray.image).toEqual({ path: 'tray-paused.png' });
    item('toggle')?.click?.();
    expect(actions.resume).toHaveBeenCalledOnce();

    controller.setStatus({ status: 'error', message: 'boom' });
    expect(tray.image).toEqual({ path: 'tray-error.png' });
    expect(tray.tooltip).toBe('OpenGateway — Problem: open OpenGateway for details');
  });

  it('opens the window from the menu and from a click on the icon, and quits from the menu', () => {
    const { tray, actions, item } = setup();
    item('open')?.click?.();
    tray.emit('click');
    expect(actions.open).toHaveBeenCalledTimes(2);
    item('quit')?.click?.();
    expect(actions.quit).toHaveBeenCalledOnce();
  });

  it('says how many requests are still finishing while a pause drains, then "Paused"', () => {
    const { controller, tray, item } = setup();
    // As the node sends it: through the contract's strict decoding, the count included.
    const paused = (finishingRequests?: number) =>
      nodeStatusSchema.parse({
        status: 'paused',
        reason: 'user',
        since: 2,
        ...(finishingRequests === undefined ? {} : { finishingRequests }),
      });

    controller.setStatus(paused(2));
    expect(item('status')?.label).toBe('Finishing 2 requests…');
    expect(tray.tooltip).toBe('OpenGateway — Finishing 2 requests…');
    expect(tray.image).toEqual({ path: 'tray-paused.png' });
    // Resuming stays possible meanwhile.
    expect(item('toggle')?.label).toBe('Resume contributing');

    controller.setStatus(paused(1));
    expect(item('status')?.label).toBe('Finishing 1 request…');

    controller.setStatus(paused());
    expect(item('status')?.label).toBe('Paused');
  });
});

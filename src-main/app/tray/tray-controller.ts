// Owns the tray icon and keeps it in step with the node (the Mullvad TrayIconController pattern).
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { Balance, NodeStatus } from '../../../src-shared/ipc/index.ts';
import { trayViewFor, type TrayIconState, type TrayView } from './tray-view.ts';

export type TrayLike = Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu' | 'on' | 'destroy'>;

export interface TrayControllerDeps {
  readonly createTray: (image: NativeImage) => TrayLike;
  readonly buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  readonly iconFor: (state: TrayIconState) => NativeImage;
}

export interface TrayActions {
  readonly pause: () => void;
  readonly resume: () => void;
  readonly open: () => void;
  readonly quit: () => void;
}

export class TrayController {
  readonly #deps: TrayControllerDeps;
  readonly #actions: TrayActions;
  readonly #tray: TrayLike;
  #status: NodeStatus | null = null;
  #balance: Balance | null = null;
  #view: TrayView;

  constructor(deps: TrayControllerDeps, actions: TrayActions) {
    this.#deps = deps;
    this.#actions = actions;
    this.#view = trayViewFor(null, null);
    this.#tray = deps.createTray(deps.iconFor(this.#view.icon));
    // Windows and Linux users expect a click on the tray icon to open the app.
    this.#tray.on('click', () => actions.open());
    this.#render();
  }

  get view(): TrayView {
    return this.#view;
  }

  setStatus(status: NodeStatus): void {
    this.#status = status;
    this.#render();
  }

  /** Null: the node keeps no ledger yet, so there is no balance to show. */
  setBalance(balance: Balance | null): void {
    this.#balance = balance;
    this.#render();
  }

  destroy(): void {
    this.#tray.destroy();
  }

  #render(): void {
    const view = trayViewFor(this.#status, this.#balance);
    if (view.icon !== this.#view.icon) this.#tray.setImage(this.#deps.iconFor(view.icon));
    this.#view = view;
    this.#tray.setToolTip(view.tooltip);
    const toggle = view.toggle.action === 'pause' ? this.#actions.pause : this.#actions.resume;
    this.#tray.setContextMenu(
      this.#deps.buildMenu([
        { id: 'status', label: view.statusLine, enabled: false },
        { id: 'balance', label: view.balanceLine, enabled: false },
        { type: 'separator' },
        { id: 'toggle', label: view.toggle.label, enabled: view.toggle.enabled, click: () => toggle() },
        { id: 'open', label: 'Open OpenGateway', click: () => this.#actions.open() },
        { type: 'separator' },
        { id: 'quit', label: 'Quit OpenGateway', click: () => this.#actions.quit() },
      ]),
    );
  }
}

// Auto-update through electron-updater (DESIGN.md §10): check a while after start and then every few
// hours, download in the background, install on quit. Every event becomes an UpdateState for the UI.
// A downloaded file is installed only once its release signature verifies (security finding 19,
// update-verifier.ts): electron-updater's install-on-quit is off, and this controller installs instead.
import type { UpdateState } from '../../../src-shared/ipc/index.ts';
import { UpdateSignatureMissingError, type VerifyDownloadedUpdate } from './update-verifier.ts';

/** The part of electron-updater's AppUpdater this controller uses (mocked in tests). */
export interface AutoUpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  checkForUpdates(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
}

export interface UpdateControllerInit {
  readonly autoUpdater: AutoUpdaterLike | null;
  /** Development builds and unpackaged runs never update themselves. */
  readonly enabled: boolean;
  /** The release-signature check; null when this build has no release key (then it never updates). */
  readonly verifyDownload: VerifyDownloadedUpdate | null;
  readonly publish: (state: UpdateState) => void;
  /** Wait before the first check, so startup stays quick and the network is up. */
  readonly firstCheckDelayMs?: number;
  readonly checkIntervalMs?: number;
  readonly now?: () => number;
  readonly setTimeout?: (callback: () => void, ms: number) => unknown;
  readonly clearTimeout?: (handle: unknown) => void;
}

function versionOf(info: unknown): string {
  const version = (info as { version?: unknown } | null)?.version;
  return typeof version === 'string' ? version.slice(0, 50) : 'unknown';
}

function messageOf(error: unknown): string {
  return (
    (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 300) ?? 'unknown error'
  );
}

export class UpdateController {
  readonly #init: UpdateControllerInit;
  #state: UpdateState;
  #timer: unknown = null;
  #latestVersion = 'unknown';
  /** The version whose download verified: the only one installNow/installOnQuit may install. */
  #verified: string | null = null;
  #verifications = 0;
  #installing = false;
  readonly #lifetime = new AbortController();

  constructor(init: UpdateControllerInit) {
    this.#init = init;
    this.#state = !(init.enabled && init.autoUpdater)
      ? {
          state: 'unsupported',
          reason: 'This copy of OpenGateway was not installed from a release, so it does not update itself.',
        }
      : init.verifyDownload === null
        ? {
            state: 'unsupported',
            reason: 'This build has no release key to check updates against, so it does not update itself.',
          }
        : { state: 'idle' };
    const updater = init.autoUpdater;
    if (this.#state.state === 'unsupported' || !updater) return;
    updater.autoDownload = true;
    // electron-updater would install any download on quit, checked or not: this controller does it instead.
    updater.autoInstallOnAppQuit = false;
    updater.on('checking-for-update', () => this.#set({ state: 'checking' }));
    updater.on('update-not-available', () => this.#set({ state: 'up-to-date', checkedAt: this.#now() }));
    updater.on('update-available', (info) => {
      this.#latestVersion = versionOf(info);
      this.#set({ state: 'available', version: this.#latestVersion });
    });
    updater.on('download-progress', (progress) => {
      const percent = (progress as { percent?: unknown } | null)?.percent;
      this.#set({
        state: 'downloading',
        version: this.#latestVersion,
        percent:
          typeof percent === 'number' && Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0,
      });
    });
    updater.on('update-downloaded', (info) => void this.#verify(info));
    updater.on('error', (error) => this.#set({ state: 'error', message: messageOf(error) }));
  }

  get state(): UpdateState {
    return this.#state;
  }

  start(): void {
    if (this.#state.state === 'unsupported' || !this.#init.autoUpdater) return;
    this.#schedule(this.#init.firstCheckDelayMs ?? 60_000);
  }

  stop(): void {
    if (this.#timer !== null)
      (this.#init.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)))(this.#timer);
    this.#timer = null;
    this.#lifetime.abort();
  }

  /** Quits and installs a downloaded, verified update now; otherwise it installs on the next quit. */
  installNow(): boolean {
    if (!this.#installable()) return false;
    this.#installing = true;
    this.#init.autoUpdater!.quitAndInstall(false, true);
    return true;
  }

  /**
   * Called as the app quits: installs a verified update silently (the updater then quits the app itself).
   * False when there is none, and the caller quits as usual.
   */
  installOnQuit(): boolean {
    // installNow already handed it to the updater, which is quitting the app.
    if (this.#installing || !this.#installable()) return false;
    this.#installing = true;
    this.#init.autoUpdater!.quitAndInstall(true, false);
    return true;
  }

  #installable(): boolean {
    return (
      this.#state.state === 'downloaded' &&
      this.#verified === this.#state.version &&
      this.#init.autoUpdater !== null
    );
  }

  async #verify(info: unknown): Promise<void> {
    const version = versionOf(info);
    const downloadedFile = (info as { downloadedFile?: unknown } | null)?.downloadedFile;
    const attempt = ++this.#verifications;
    this.#verified = null;
    // Still "downloading" to the UI until the signature is checked.
    this.#set({ state: 'downloading', version, percent: 100 });
    try {
      if (typeof downloadedFile !== 'string')
        throw new UpdateSignatureMissingError(
          'The update was not installed: the updater did not say which file it downloaded.',
        );
      await this.#init.verifyDownload!({ version, downloadedFile }, this.#lifetime.signal);
      if (attempt !== this.#verifications) return;
      this.#verified = version;
      this.#set({ state: 'downloaded', version });
    } catch (error) {
      if (attempt !== this.#verifications) return;
      this.#set({ state: 'error', message: messageOf(error) });
    }
  }

  #schedule(delay: number): void {
    const later = this.#init.setTimeout ?? ((callback, ms) => setTimeout(callback, ms));
    this.#timer = later(() => {
      void this.#check();
      this.#schedule(this.#init.checkIntervalMs ?? 6 * 3_600_000);
    }, delay);
  }

  async #check(): Promise<void> {
    // Once downloaded there is nothing more to do until the user quits.
    if (this.#state.state === 'downloaded' || this.#state.state === 'downloading') return;
    try {
      const result = (await this.#init.autoUpdater?.checkForUpdates()) as {
        downloadPromise?: Promise<unknown> | null;
      } | null;
      // A failed download (a file that fails its SHA-512, say) also arrives as the `error` event, which sets
      // the state; without this catch its promise would be an unhandled rejection in the main process.
      result?.downloadPromise?.catch(() => {});
    } catch (error) {
      this.#set({ state: 'error', message: messageOf(error) });
    }
  }

  #set(state: UpdateState): void {
    this.#state = state;
    this.#init.publish(state);
  }

  #now(): number {
    return (this.#init.now ?? Date.now)();
  }
}

// Where the desktop app keeps its node's data (identity key, ledger, settings, API key): in Electron's
// per-user app data folder, `userData` (~/Library/Application Support/OpenGateway on macOS,
// %APPDATA%\OpenGateway on Windows, ~/.config/OpenGateway on Linux), in a `node` subfolder so Chromium's own
// caches and electron-store's preferences there never mix with the node's files. `--data-dir=<path>` on the
// command line, or OPENGATEWAY_DATA_DIR (the variable the headless node reads too), overrides it.
import { join, resolve } from 'node:path';

export interface DesktopDataDirInit {
  readonly app: { getPath(name: 'userData'): string };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly argv: readonly string[];
}

export const DATA_DIR_FLAG = '--data-dir';

export function desktopDataDir(init: DesktopDataDirInit): string {
  const fromArgs = dataDirArgument(init.argv);
  if (fromArgs !== null) return resolve(fromArgs);
  const fromEnv = init.env.OPENGATEWAY_DATA_DIR;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return resolve(fromEnv);
  return join(init.app.getPath('userData'), 'node');
}

/** `--data-dir=<path>` or `--data-dir <path>`; null when absent or empty. */
function dataDirArgument(argv: readonly string[]): string | null {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const value = arg.startsWith(`${DATA_DIR_FLAG}=`)
      ? arg.slice(DATA_DIR_FLAG.length + 1)
      : arg === DATA_DIR_FLAG
        ? (argv[index + 1] ?? '')
        : null;
    if (value !== null && value.trim() !== '') return value;
  }
  return null;
}

// The Electron entry point. It only gathers Electron, paths and the node launcher and hands them to
// runDesktopApp; everything testable lives there.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as electron from 'electron';
import electronUpdater from 'electron-updater';
import { runDesktopApp } from './desktop-app.ts';
import { desktopDataDir } from './desktop-data-dir.ts';
import { launchNode } from './launch-node.ts';
import { installLastResortHandlers } from '../node/local-api/serve-node.ts';
import { NODE_MEMORY_FLAGS } from '../cli/runtime-flags.ts';
import { createPreferencesStore } from './settings/preferences-store.ts';
import { rendererUrl } from './renderer-url.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const { app } = electron;

// The dev server's address only when not packaged (security finding 19).
const renderer = rendererUrl({
  isPackaged: app.isPackaged,
  env: process.env,
  rendererDir: join(here, '../renderer'),
});
const assetsDir = app.isPackaged ? join(process.resourcesPath, 'assets') : join(here, '../../assets');

// The window's renderer gets the small young generation too (issue 17 item 4). This switch cannot reach the
// main process, where the node runs: its V8 is set up before this file runs, so it takes the flags only from
// Electron's own command line (`npm start` passes --js-flags; scripts/start.ts).
app.commandLine.appendSwitch('js-flags', NODE_MEMORY_FLAGS.join(' '));

const log = (line: string): void => console.log(`[opengateway] ${line}`);
// A bug that escapes a handler is logged, and the app and its node keep running (security finding 2).
installLastResortHandlers({ log });

void runDesktopApp({
  electron,
  // Reading autoUpdater constructs the platform updater, so only do it where it can work.
  autoUpdater: app.isPackaged ? electronUpdater.autoUpdater : null,
  launchNode,
  preferences: createPreferencesStore(),
  paths: { preload: join(here, '../preload/index.cjs'), rendererUrl: renderer, assetsDir },
  dataDir: desktopDataDir({ app, env: process.env, argv: process.argv }),
  argv: process.argv,
  log,
}).catch((error: unknown) => {
  log(`failed to start: ${String(error)}`);
  app.quit();
});

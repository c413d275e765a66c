// The sandboxed preload: exposes the ipc contract's transport as `window.api`, and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { PRELOAD_API_KEY } from '../../src-shared/ipc/index.ts';
import { createPreloadApi } from './preload-api.ts';

contextBridge.exposeInMainWorld(PRELOAD_API_KEY, createPreloadApi(ipcRenderer));

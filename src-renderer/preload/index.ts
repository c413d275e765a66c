// The sandboxed preload: it will expose the ipc contract's `api` object through contextBridge, nothing else.
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('opengateway', Object.freeze({ version: 1 }));

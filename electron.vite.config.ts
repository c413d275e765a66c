import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      lib: {
        entry: {
          main: resolve('src-main/app/main.ts'),
          // Loaded with `new Worker(...)` at run time, so it must be its own file next to main.js.
          'profile-worker': resolve('src-main/node/profile/profile-worker.ts'),
          // The built-in engine's llama.cpp host: an Electron utility process runs this file.
          'llama-host': resolve('src-main/node/engine/builtin/llama-host.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be CommonJS.
      rolldownOptions: {
        input: { index: resolve('src-renderer/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      rolldownOptions: { input: { index: resolve('src-renderer/index.html') } },
    },
  },
});

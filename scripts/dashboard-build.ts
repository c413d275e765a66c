// The browser build of the renderer that a node's local API serves at `/` (out/renderer-web). `npm start` and
// `npm run devnet` build it when it is missing, so their dashboard links never show "Dashboard not built".
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const DASHBOARD_DIR_NAME = join('out', 'renderer-web');

/** Builds the dashboard under `root` unless its index.html is there; throws when the build fails. */
export async function ensureDashboardBuilt(root: string, log: (line: string) => void): Promise<void> {
  if (existsSync(join(root, DASHBOARD_DIR_NAME, 'index.html'))) return;
  log('building the dashboard (first run; takes a few seconds)…');
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '-c',
        'vite.renderer.config.ts',
        '--logLevel',
        'warn',
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('error', () => resolve(1));
    child.on('exit', (exit) => resolve(exit ?? 1));
  });
  if (code !== 0) throw new Error(`the dashboard build failed (vite exited ${code})`);
}

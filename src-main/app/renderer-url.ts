// Which address the window loads and the IPC sender check trusts (security finding 19). electron-vite's dev
// server passes its own address in ELECTRON_RENDERER_URL; a packaged app ignores it, so a variable set in
// the user's environment (a launcher, a shell profile, another program) cannot point the window, and the
// IPC trust that follows its origin, at a page of someone else's choosing.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface RendererUrlInit {
  readonly isPackaged: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The folder holding the bundled renderer (`out/renderer`). */
  readonly rendererDir: string;
}

/** The renderer's address: the bundled index.html, or the dev server's address in development only. */
export function rendererUrl(init: RendererUrlInit): string {
  const bundled = pathToFileURL(join(init.rendererDir, 'index.html')).href;
  if (init.isPackaged) return bundled;
  const dev = init.env.ELECTRON_RENDERER_URL;
  return dev !== undefined && dev.trim() !== '' ? dev : bundled;
}

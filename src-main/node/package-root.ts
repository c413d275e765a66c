// The folder holding package.json and out/ (the checkout, or the packaged app's resources). Found by walking
// up from the calling module, because the same module runs at different depths: from src-main/ (the .ts
// sources), from out/node/ (the headless node's bundle) and from out/main/ (the desktop app's bundle).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'opengateway';

/** The nearest folder above `moduleUrl` whose package.json is ours; throws when there is none. */
export function packageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && isOurs(file)) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}

function isOurs(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

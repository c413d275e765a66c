// The built dashboard at `/` of the local API (DESIGN.md §9): GET of files under one folder, nothing else.
// No key is needed (the page reads the key from its #fragment and sends it on /api/ws); the Host check still
// applies in the server. Paths are decoded once, and anything that could leave the folder is refused.
import { realpath, readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from '../../../../src-shared/ipc/index.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Bigger files than this are not part of a dashboard build. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Paths the dashboard never owns: the API keeps them (with their key check). */
export function isApiPath(pathname: string): boolean {
  return /^\/(api|v1)(\/|$)/.test(pathname);
}

/** Serves `pathname` from `root`; answers 404 pages itself. */
export async function serveStaticFile(
  root: string,
  pathname: string,
  method: 'GET' | 'HEAD',
  res: ServerResponse,
): Promise<void> {
  const indexPath = join(root, 'index.html');
  if (!(await isFile(indexPath))) {
    return sendPage(
      res,
      404,
      'Dashboard not built',
      'This node has no dashboard to show: its files are missing. In a source checkout, run <code>npm run build</code> and reload this page. The API at <code>/v1</code> and <code>/api</code> works without it.',
      method,
    );
  }
  const file = await resolveInside(root, pathname === '/' ? '/index.html' : pathname);
  if (file === null) {
    return sendPage(
      res,
      404,
      'Not found',
      'There is no such page. Open <a href="/">the dashboard</a>.',
      method,
    );
  }
  const body = await readFile(file);
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...securityHeaders(),
    'content-type': type,
    'content-length': body.byteLength,
    // Built assets carry a content hash in their names; index.html must always be fetched fresh.
    'cache-control': type.startsWith('text/html') ? 'no-store' : 'public, max-age=31536000, immutable',
  });
  res.end(method === 'HEAD' ? undefined : body);
}

/** The real file for a URL path inside `root`, or null (missing, a folder, or outside the root). */
async function resolveInside(root: string, pathname: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const segments = decoded.split('/').slice(1);
  if (
    segments.some(
      (segment) =>
        segment === '' ||
        segment === '.' ||
        segment === '..' ||
        segment.startsWith('.') ||
        /[\\\0:]/.test(segment),
    )
  )
    return null;
  try {
    const realRoot = await realpath(root);
    // Symlinks are followed, then checked: a link pointing out of the build is refused too.
    const real = await realpath(join(realRoot, ...segments));
    if (!real.startsWith(realRoot + sep)) return null;
    const info = await stat(real);
    return info.isFile() && info.size <= MAX_FILE_BYTES ? real : null;
  } catch {
    return null;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': DASHBOARD_CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}

function sendPage(res: ServerResponse, status: number, title: string, html: string, method: string): void {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} — OpenGateway</title></head><body><h1>${title}</h1><p>${html}</p></body></html>\n`;
  res.writeHead(status, {
    ...securityHeaders(),
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(page),
    'cache-control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : page);
}

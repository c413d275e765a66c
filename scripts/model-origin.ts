// The devnet's model origin: a plain HTTP server on 127.0.0.1 serving the generated test model the way a
// mirror serves real ones (Range requests, 206 answers), so every devnet node fetches its model through the
// real download path (disk check, resume, SHA-256). Optionally throttled, to watch a download in progress.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ModelOrigin {
  /** The URL of each served file, by file name. */
  readonly urls: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

export async function startModelOrigin(
  files: readonly string[],
  options: { bytesPerSecond?: number } = {},
): Promise<ModelOrigin> {
  const byName = new Map(files.map((path) => [basename(path), path]));
  const server = createServer((req, res) => {
    void (async () => {
      const path = byName.get(decodeURIComponent((req.url ?? '/').slice(1)));
      if (req.method !== 'GET' || path === undefined) {
        res.writeHead(404).end();
        return;
      }
      const size = (await stat(path)).size;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      if (start >= size && size > 0) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      res.writeHead(range ? 206 : 200, {
        'content-length': String(size - start),
        'accept-ranges': 'bytes',
        ...(range ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
      });
      const source = createReadStream(path, { start, highWaterMark: 16 * 1024 });
      await (options.bytesPerSecond
        ? pipeline(source, throttle(options.bytesPerSecond), res)
        : pipeline(source, res));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    urls: new Map([...byName.keys()].map((name) => [name, `${base}/${encodeURIComponent(name)}`])),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Passes bytes on at about `bytesPerSecond`. */
function throttle(bytesPerSecond: number): Transform {
  const started = Date.now();
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      const due = started + (sent / bytesPerSecond) * 1000;
      setTimeout(() => done(null, chunk), Math.max(0, due - Date.now()));
    },
  });
}

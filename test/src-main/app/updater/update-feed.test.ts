// The update feed end to end, as real as this machine allows: electron-updater's own AppImageUpdater (its
// provider, YAML parsing, download, SHA-512 check and events) against a local HTTP server that publishes a
// newer version's metadata and file, driven by our UpdateController. Only what needs the Electron binary is
// replaced: the app adapter (Electron's `app`) and, in electron-updater's HTTP executor, the request
// factory (Electron's `net`, answered by Node's http).
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type RequestOptions, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  UpdateController,
  type AutoUpdaterLike,
} from '../../../../src-main/app/updater/update-controller.ts';
import { releasePublicKeyText, signUpdate } from '../../../../src-main/app/updater/update-signature.ts';
import { releaseUpdateVerifier } from '../../../../src-main/app/updater/update-verifier.ts';
import { updateLabel } from '../../../../src-renderer/src/labels.ts';
import type { UpdateState } from '../../../../src-shared/ipc/index.ts';

const require = createRequire(import.meta.url);
// Straight from the module file: electron-updater's index builds an updater for the Electron app on access.
const { AppImageUpdater } = require('electron-updater/out/AppImageUpdater') as {
  AppImageUpdater: new (
    options: unknown,
    app: unknown,
  ) => AutoUpdaterLike & {
    httpExecutor: unknown;
    logger: unknown;
  };
};
const { ElectronHttpExecutor } = require('electron-updater/out/electronHttpExecutor') as {
  ElectronHttpExecutor: new () => { createRequest(options: RequestOptions, callback: unknown): unknown };
};

/**
 * ELECTRON DOUBLE: electron-updater's own HTTP executor (download, redirects, SHA-512 check) with the one
 * method that needs Electron's `net` module answered by Node's http instead.
 */
class NodeNetHttpExecutor extends ElectronHttpExecutor {
  override createRequest(options: RequestOptions, callback: unknown): unknown {
    return request(options, callback as (response: IncomingMessage) => void);
  }
}

let root: string;
let server: Server;
let feed: { yaml: string; file: Buffer; signature: string | null };
/** The release key, generated here; its private half plays the release workflow's secret. */
const releaseKey = generateKeyPairSync('ed25519').privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;
const FILE = 'OpenGateway-0.2.0.AppImage';
const previousAppImage = process.env.APPIMAGE;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-update-feed-'));
  // The running "AppImage" the update replaces (on quit; never in this test).
  process.env.APPIMAGE = join(root, 'OpenGateway-0.1.0.AppImage');
  await writeFile(process.env.APPIMAGE, randomBytes(4096));
  server = createServer((req, res) => {
    if (req.url?.startsWith('/latest-linux.yml')) return res.end(feed.yaml);
    if (req.url === `/${FILE}.sig` && feed.signature !== null) return res.end(feed.signature);
    if (req.url === `/${FILE}`) {
      res.writeHead(200, { 'content-length': feed.file.byteLength });
      return res.end(feed.file);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  if (previousAppImage === undefined) delete process.env.APPIMAGE;
  else process.env.APPIMAGE = previousAppImage;
  await rm(root, { recursive: true, force: true });
});

/**
 * What electron-builder publishes next to a Linux release: version, file, size and SHA-512 (base64), and what
 * the release workflow adds: the file's signature (here by `signedBy`, over `signedBytes` as `signedVersion`).
 */
function publish(
  file: Buffer,
  claimedBy: Buffer = file,
  signed: { by?: string; bytes?: Buffer; version?: string } | null = {},
): void {
  const sha512 = createHash('sha512').update(claimedBy).digest('base64');
  const signedSha = createHash('sha512')
    .update(signed?.bytes ?? file)
    .digest();
  feed = {
    file,
    signature:
      signed === null
        ? null
        : signUpdate(signed.by ?? releaseKey, signed.version ?? '0.2.0', FILE, signedSha),
    yaml: [
      'version: 0.2.0',
      'files:',
      '  - url: OpenGateway-0.2.0.AppImage',
      `    sha512: ${sha512}`,
      `    size: ${file.byteLength}`,
      'path: OpenGateway-0.2.0.AppImage',
      `sha512: ${sha512}`,
      "releaseDate: '2026-12-03T09:00:00.000Z'",
      '',
    ].join('\n'),
  };
}

async function updaterForApp() {
  const app = {
    name: 'OpenGateway',
    version: '0.1.0',
    isPackaged: true,
    appUpdateConfigPath: join(root, 'app-update.yml'),
    userDataPath: join(root, 'user-data'),
    baseCachePath: join(root, 'cache'),
    whenReady: () => Promise.resolve(),
    quit: vi.fn(),
    relaunch: vi.fn(),
    onQuit: vi.fn(),
  };
  // What electron-builder writes into a packaged app: where its feed is.
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await writeFile(
    app.appUpdateConfigPath,
    `provider: generic\nurl: ${url}\nupdaterCacheDirName: opengateway-updater\n`,
  );
  const updater = new AppImageUpdater(null, app);
  updater.httpExecutor = new NodeNetHttpExecutor();
  updater.logger = null;
  const states: UpdateState[] = [];
  const controller = new UpdateController({
    autoUpdater: updater,
    enabled: true,
    // The app's check as shipped, with this test's release key and the local release server.
    verifyDownload: releaseUpdateVerifier({
      publicKeys: [releasePublicKeyText(releaseKey)],
      signatureUrl: (_version, fileName) => `${url}${fileName}.sig`,
    }),
    publish: (state) => states.push(state),
    firstCheckDelayMs: 0,
    checkIntervalMs: 3_600_000,
  });
  return { controller, states, updater };
}

describe('the update feed (electron-updater against a local release server)', () => {
  it('finds the newer version, downloads and verifies it, and offers to restart', async () => {
    publish(randomBytes(256 * 1024));
    const { controller, states, updater } = await updaterForApp();
    controller.start();
    await vi.waitFor(() => expect(controller.state.state).toMatch(/downloaded|error/), { timeout: 20_000 });
    controller.stop();
    expect(controller.state).toEqual({ state: 'downloaded', version: '0.2.0' });
    expect(states.map((state) => state.state)).toEqual(
      expect.arrayContaining(['checking', 'available', 'downloaded']),
    );
    expect(updateLabel(controller.state)).toBe(
      'Version 0.2.0 is ready. It installs when you quit, or restart now.',
    );
    // Installing replaces the running AppImage: only whether it is asked for is checked here.
    const install = vi.fn();
    updater.quitAndInstall = install;
    expect(controller.installOnQuit()).toBe(true);
    expect(install).toHaveBeenCalledWith(true, false);
  });

  // Finding 19: whoever controls the release channel (a stolen publishing token, a compromised mirror)
  // publishes a file and the feed that names it, so its SHA-512 matches; only the release key's signature
  // tells it apart.
  async function refused(): Promise<string> {
    const { controller, updater } = await updaterForApp();
    const install = vi.fn();
    updater.quitAndInstall = install;
    controller.start();
    await vi.waitFor(() => expect(controller.state.state).toMatch(/downloaded|error/), { timeout: 20_000 });
    controller.stop();
    expect(controller.installOnQuit()).toBe(false);
    expect(controller.installNow()).toBe(false);
    expect(install).not.toHaveBeenCalled();
    const state = controller.state;
    expect(state.state).toBe('error');
    return state.state === 'error' ? state.message : '';
  }

  it('refuses a tampered file whose feed matches it but whose signature is for the released file', async () => {
    const released = randomBytes(128 * 1024);
    const tampered = Buffer.from(released);
    tampered[1000] = tampered[1000]! ^ 0xff;
    publish(tampered, tampered, { bytes: released });
    expect(await refused()).toMatch(/not signed by an OpenGateway release key/);
  });

  it('refuses an unsigned file', async () => {
    publish(randomBytes(64 * 1024), undefined, null);
    expect(await refused()).toMatch(/signature is not in the release \(HTTP 404\)/);
  });

  it('reads no more than a signature’s size from the signature address', async () => {
    publish(randomBytes(64 * 1024));
    feed.signature = 'A'.repeat(4 * 1024 * 1024);
    expect(await refused()).toMatch(/is not a signature file \(too large\)/);
  });

  it('refuses a file signed by any other key', async () => {
    const other = generateKeyPairSync('ed25519').privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    publish(randomBytes(64 * 1024), undefined, { by: other });
    expect(await refused()).toMatch(/not signed by an OpenGateway release key/);
  });

  it('refuses an older signed release offered as a newer version (a downgrade)', async () => {
    publish(randomBytes(64 * 1024), undefined, { version: '0.1.9' });
    expect(await refused()).toMatch(/not signed by an OpenGateway release key/);
  });

  it('refuses a file whose SHA-512 is not the one the feed published', async () => {
    publish(randomBytes(64 * 1024), randomBytes(64 * 1024));
    const { controller } = await updaterForApp();
    controller.start();
    await vi.waitFor(() => expect(controller.state.state).toMatch(/downloaded|error/), { timeout: 20_000 });
    controller.stop();
    const state = controller.state;
    expect(state.state).toBe('error');
    expect(state.state === 'error' && state.message).toMatch(/sha512 checksum mismatch/);
  });
});

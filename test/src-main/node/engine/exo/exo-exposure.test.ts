// Finding 13: EXO's API cannot be bound to loopback (hard-coded 0.0.0.0, no key, CORS * in every generation),
// so the node checks who else can use it. Against the EXO double as a real process: a web page's origin is
// echoed as allowed (EXO's CORSMiddleware), and the API answers, or not, at this machine's other addresses
// (loopback addresses stand in for the LAN ones).
import { afterEach, describe, expect, it } from 'vitest';
import { checkExoExposure, exposureWarning } from '../../../../../src-main/node/engine/exo/exo-exposure.ts';
import type { ExoEngine } from '../../../../../src-main/node/engine/exo/exo-engine.ts';
import {
  removeTemporaryDirs,
  spawnedExoEngine,
  startDouble,
  waitForStatus,
  type RunningDouble,
} from '../engine-test-kit.ts';

let double: RunningDouble | null = null;
let engine: ExoEngine | null = null;
afterEach(async () => {
  await double?.stop();
  await engine?.stop();
  double = null;
  engine = null;
  removeTemporaryDirs();
});

describe('who else can use EXO’s API', () => {
  it('a web page of any origin: EXO allows it, and the check shows it as a page would see it', async () => {
    double = await startDouble();
    // The attack a page makes: a cross-origin read of the API.
    const response = await fetch(`${double.url}/node_id`, { headers: { origin: 'https://evil.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://evil.example');
    const exposure = await checkExoExposure({ url: double.url, lanAddresses: () => ['127.0.0.2'] });
    expect(exposure).toEqual({ reachableAt: [], anyWebPage: true });
    expect(exposureWarning(exposure, double.port)).toMatch(
      new RegExp(`lets any web page you open use it: .* block TCP port ${double.port} from other machines`),
    );
  });

  it('other machines: reported when the API answers at one of this machine’s network addresses', async () => {
    double = await startDouble([], { host: '127.0.0.2' });
    const exposure = await checkExoExposure({
      url: double.url,
      lanAddresses: () => ['127.0.0.2', '127.0.0.3'],
    });
    expect(exposure.reachableAt).toEqual(['127.0.0.2']);
    expect(exposureWarning(exposure, double.port)).toMatch(
      /answers other machines on your network \(at 127\.0\.0\.2\) and lets any web page/,
    );
  });

  it('the supervisor says it in the engine log the dashboard shows, once EXO serves', async () => {
    engine = await spawnedExoEngine();
    await engine.start();
    await waitForStatus(engine, 'ready');
    await expect
      .poll(() => engine!.recentLog.find((line) => line.includes('warning: EXO')), { timeout: 10_000 })
      .toMatch(/EXO's API has no key and lets any web page you open use it/);
  });

  it('says nothing when nobody else can reach it', () => {
    expect(exposureWarning({ reachableAt: [], anyWebPage: false }, 52415)).toBeNull();
  });
});

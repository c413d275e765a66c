import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliProcess } from './run-cli-process.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-cli-profile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ProfileJson {
  peerId: string;
  region: string | null;
  regionSource: string;
  resources: { cpu: { cores: number }; memory: { totalBytes: number } };
  tiers: Array<{ tier: string; qualified: boolean; reasons: string[] }>;
}

describe('opengateway-node profile', () => {
  it('--json --ip 203.177.0.1 places this machine in asia and explains every tier', async () => {
    const result = await runCliProcess(['profile', '--json', '--ip', '203.177.0.1', '--data-dir', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as ProfileJson;
    expect(report.region).toBe('asia');
    expect(report.regionSource).toBe('ip-argument');
    expect(report.tiers.map((tier) => tier.tier)).toEqual(['model-a', 'model-b', 'model-c', 'model-d']);
    for (const tier of report.tiers) expect(tier.qualified).toBe(tier.reasons.length === 0);
    // The build machines have 2 cores: below every tier's minimum, each says so.
    if (cpus().length < 4) {
      expect(report.tiers.every((tier) => !tier.qualified)).toBe(true);
      expect(report.tiers[0]?.reasons).toContain(`needs 4 CPU cores, has ${report.resources.cpu.cores}`);
    }
    // The onboarding created the node's key in the data dir, private to the user.
    expect((await stat(join(dir, 'identity.key'))).mode & 0o777).toBe(0o600);
  });

  it('keeps the same peer id across runs and honours a region override', async () => {
    const first = JSON.parse(
      (await runCliProcess(['profile', '--json', '--ip', '8.8.8.8', '--data-dir', dir])).stdout,
    ) as ProfileJson;
    expect(first.region).toBe('north-america');
    const second = JSON.parse(
      (await runCliProcess(['profile', '--json', '--region', 'Middle East', '--data-dir', dir])).stdout,
    ) as ProfileJson;
    expect(second).toMatchObject({ peerId: first.peerId, region: 'middle-east', regionSource: 'override' });
  });

  it('prints a readable report', async () => {
    const result = await runCliProcess(['profile', '--ip', '81.2.69.160', '--data-dir', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Region    Europe (ip-argument): Looked up 81.2.69.160 (United Kingdom)');
    expect(result.stdout).toMatch(/Model D: (qualified|needs .+)/);
  });

  it.each([
    [['profile', '--region', 'atlantis'], 'unknown region "atlantis"'],
    [['profile', '--ip', '8.8.8'], '"8.8.8" is not an IP address'],
    [['profile', '--ip', '192.168.1.1'], '192.168.1.1 is a private address'],
    [['profile', '--bogus'], "Unknown option '--bogus'"],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('refuses bad input %j with one line and exit 2', async (args, message) => {
    const result = await runCliProcess([...args, '--data-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses an unusable data dir with one line and exit 2', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    const result = await runCliProcess(['profile', '--data-dir', join(file, 'data')]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /^opengateway-node profile: cannot use data directory .*a-file\/data: a file is in the way$/,
    );
  });

  it('refuses a corrupt node key with exit 2 and leaves it in place', async () => {
    await writeFile(join(dir, 'identity.key'), 'garbage');
    const result = await runCliProcess(['profile', '--ip', '8.8.8.8', '--data-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('left untouched');
  });
});

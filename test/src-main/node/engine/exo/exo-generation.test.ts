import { describe, expect, it } from 'vitest';
import {
  detectExoGeneration,
  exoLaunch,
  isSupportedGeneration,
} from '../../../../../src-main/node/engine/exo/exo-generation.ts';
import { helpText } from '../../../../exo-double/exo-cli.ts';

describe('detectExoGeneration', () => {
  it.each([
    ['zenoh', 'zenoh'],
    ['libp2p', 'libp2p'],
    ['libp2p-early', 'libp2p-early'],
    ['legacy', 'legacy'],
  ] as const)('recognises the %s --help', (generation, expected) => {
    expect(detectExoGeneration(helpText(generation))).toBe(expected);
  });

  it('does not take a flag that is only part of another word', () => {
    expect(detectExoGeneration('usage: tool [--api-port-range RANGE]')).toBe('unknown');
    expect(isSupportedGeneration('unknown')).toBe(false);
    expect(isSupportedGeneration('legacy')).toBe(false);
  });
});

describe('exoLaunch', () => {
  const settings = {
    exoHome: '/data/engines/asia-model-a',
    apiPort: 52510,
    namespace: 'og-asia-model-a',
    zenohPort: 52511,
    discoveryPort: 52512,
    libp2pPort: 52513,
    memoryMb: 12_288.7,
  };
  const inherited = {
    PATH: '/usr/bin',
    HF_TOKEN: 'hf',
    EXO_LIBP2P_NAMESPACE: 'stale',
    EXO_BOOTSTRAP_PEERS: 'x',
  };

  it('isolates a zenoh-era process by namespace, ports, home and memory', () => {
    const { args, env } = exoLaunch('zenoh', settings, inherited);
    expect(args).toEqual([
      '--api-port',
      '52510',
      '--namespace',
      'og-asia-model-a',
      '--zenoh-port',
      '52511',
      '--discovery-port',
      '52512',
    ]);
    expect(env).toMatchObject({
      EXO_HOME: settings.exoHome,
      OVERRIDE_MEMORY_MB: '12288',
      HF_TOKEN: 'hf',
      PATH: '/usr/bin',
    });
    expect(env.EXO_LIBP2P_NAMESPACE).toBeUndefined();
    expect(env.EXO_BOOTSTRAP_PEERS).toBeUndefined();
  });

  it('puts the namespace in EXO_LIBP2P_NAMESPACE for the libp2p generations', () => {
    const late = exoLaunch('libp2p', settings, inherited);
    expect(late.args).toEqual(['--api-port', '52510', '--libp2p-port', '52513']);
    expect(late.env.EXO_LIBP2P_NAMESPACE).toBe('og-asia-model-a');
    const early = exoLaunch('libp2p-early', settings, inherited);
    expect(early.args).toEqual(['--api-port', '52510']);
    expect(early.env.EXO_LIBP2P_NAMESPACE).toBe('og-asia-model-a');
  });

  it('refuses to launch an unsupported generation', () => {
    expect(() => exoLaunch('legacy', settings, inherited)).toThrow(/cannot launch/);
  });
});

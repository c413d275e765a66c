import { describe, expect, it } from 'vitest';

describe('toolchain', () => {
  it('runs on the pinned Node 22 (libp2p 3 needs it), not the system Node 20', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(22);
  });
});

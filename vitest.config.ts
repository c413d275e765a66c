import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Nodes started by tests never reach beyond loopback (no mDNS, UPnP, name lookups or public dials);
    // lab tests inside their own network namespaces opt out explicitly.
    env: { OPENGATEWAY_LOCAL_ONLY: '1' },
    // electron-store must load our mocked electron, not the real (undownloadable) binary.
    server: { deps: { inline: ['electron-store'] } },
  },
});

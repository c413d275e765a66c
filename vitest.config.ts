import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Nothing a test starts may resolve public names, multicast on the host's network or dial off the
    // machine (issue 13); lab tests inside their own network namespaces opt out explicitly.
    env: { OPENGATEWAY_LOCAL_ONLY: '1' },
    // electron-store must load our mocked electron, not the real (undownloadable) binary.
    server: { deps: { inline: ['electron-store'] } },
  },
});

// The node process of bench/footprint.ts: the real `opengateway-node start` (same argv, same code), plus an
// IPC answer with its own memory figures after two full collections, so the bench reads the node's heap and
// external memory, not only what `ps` shows. Run only through bench/footprint.ts (needs --expose-gc and IPC).
const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (message: unknown) => {
  if (message !== 'memory') return;
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  process.send?.({
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
  });
});
process.argv = [
  process.argv[0]!,
  new URL('../src-main/cli/bin.ts', import.meta.url).pathname,
  ...process.argv.slice(2),
];
await import('../src-main/cli/bin.ts');

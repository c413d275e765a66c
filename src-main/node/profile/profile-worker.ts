// Worker entry: reads the hardware off the node's event loop and posts the raw readings back.
import { parentPort, workerData } from 'node:worker_threads';
import { readRawHardware } from './read-raw-hardware.ts';

const { dataDir } = workerData as { dataDir: string };
readRawHardware(dataDir).then(
  (raw) => parentPort?.postMessage({ ok: true, raw }),
  (error: unknown) =>
    parentPort?.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
);

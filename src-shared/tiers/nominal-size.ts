// Machines report a little less memory than they are sold with (an RTX 4090 reports 24,564 MiB; 64 GB of RAM
// shows as about 62 GiB once firmware and the kernel take their share). Qualification compares the size a
// person would name, so nobody fails a "24 GB" requirement with a 24 GB card.

const GIB = 2 ** 30;

/** Memory sizes (GB, in the GiB sense vendors use for memory) that GPUs and PCs are sold with. */
const MARKETED_MEMORY_GB = [
  1, 2, 3, 4, 6, 8, 10, 11, 12, 16, 18, 20, 24, 32, 36, 40, 48, 64, 80, 94, 96, 128, 141, 144, 192, 256, 288,
  384, 512, 768, 1024, 1536, 2048,
] as const;

/** How far below its nominal size a machine may report and still be that size (8 %). */
const REPORTED_SHARE_OF_NOMINAL = 0.92;

/**
 * The size a person would call reported memory of `bytes`: the smallest marketed size at or above it when the
 * report is within 8 % of that size; otherwise the measured amount, rounded down to 0.1 GB.
 */
export function nominalMemoryGb(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes <= 0) return 0;
  const gib = bytes / GIB;
  const marketed = MARKETED_MEMORY_GB.find((size) => size >= gib - 1e-9);
  if (marketed !== undefined && gib >= marketed * REPORTED_SHARE_OF_NOMINAL) return marketed;
  return Math.floor(gib * 10) / 10;
}

/** Measured memory (no nominal rounding), rounded down to 0.1 GB: for shares such as Apple's GPU share. */
export function measuredMemoryGb(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes <= 0) return 0;
  return Math.floor((bytes / GIB) * 10) / 10;
}

/** Free disk in GB as disks are sold and as file managers show it (10^9 bytes), rounded down. */
export function diskGb(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes <= 0) return 0;
  return Math.floor(bytes / 1e9);
}

/** "24 GB", "21.3 GB", "1.5 TB". */
export function formatGb(gb: number): string {
  if (gb >= 1000 && gb % 100 === 0) return `${gb / 1000} TB`;
  return `${Number.isInteger(gb) ? gb : gb.toFixed(1)} GB`;
}

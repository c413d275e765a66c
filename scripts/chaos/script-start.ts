// What the chaos run and the soak both do before they start anything: read whole-number options (a bad one is
// one line on stderr and exit 2) and skip, with a JSON line saying why, where the lab cannot run.
import { labUnavailableReason } from '../../test/lab/lab-namespaces.ts';
import { chaosUnavailableReason } from './chaos-net.ts';
import type { ChaosEngine } from './chaos-devnet.ts';

/** `values[name]` as a whole number ≥ `min`, or exit 2 with `<script>: --<name> needs …`. */
export function wholeNumberOption<K extends string>(
  script: string,
  values: Readonly<Record<K, unknown>>,
  name: K,
  min: number,
): number {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value < min) {
    process.stderr.write(`${script}: --${name} needs a whole number ≥ ${min}\n`);
    process.exit(2);
  }
  return value;
}

/** Exits 0 with `{ skipped: reason }` on stdout when namespaces, root or the tools are missing. */
export function exitIfLabUnavailable(script: string): void {
  const unavailable = chaosUnavailableReason(labUnavailableReason());
  if (unavailable === null) return;
  process.stderr.write(`${script}: skipped: ${unavailable}\n`);
  process.stdout.write(`${JSON.stringify({ skipped: unavailable })}\n`);
  process.exit(0);
}

/** `--engine builtin|exo-double`, or exit 2. */
export function engineOption(script: string, value: unknown): ChaosEngine {
  if (value === 'builtin' || value === 'exo-double') return value;
  process.stderr.write(`${script}: --engine is builtin or exo-double\n`);
  process.exit(2);
}

// Deterministic "generated" text: the same prompt always yields the same tokens, so tests can assert on
// content and order. It is a simulator's output and is never presented as inference.

const WORDS = [
  'the',
  'network',
  'routes',
  'whole',
  'requests',
  'between',
  'nodes',
  'while',
  'each',
  'cluster',
  'shards',
  'a',
  'model',
  'across',
  'machines',
  'on',
  'one',
  'local',
  'link',
  'and',
  'every',
  'token',
  'is',
  'counted',
  'once',
  'by',
  'both',
  'sides',
  'before',
  'payment',
  'settles',
  'quietly',
  'in',
  'blocks',
  'of',
  'signed',
  'receipts',
  'so',
  'nothing',
  'central',
  'decides',
  'who',
  'earns',
  'what',
  'for',
  'the',
  'work',
  'done',
];

/** FNV-1a of the prompt: the seed of its answer. */
export function promptSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash || 1;
}

/** Token `index` of the answer seeded by `seed`: a word, with a leading space after the first. */
export function tokenAt(seed: number, index: number): string {
  // xorshift32 over (seed, index): any token can be produced without generating the ones before it.
  let x = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0 || 1;
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  const word = WORDS[x % WORDS.length]!;
  return index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : ` ${word}`;
}

/** The prompt's token count as the double reports it: words plus a few per message for the chat template. */
export function promptTokenCount(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + 4 + text.split(/\s+/).filter((word) => word !== '').length, 0);
}

// A SentencePiece-style vocabulary llama.cpp's SPM tokenizer accepts: <unk>, <s>, </s>, ChatML's two
// control tokens, all 256 byte tokens spelled <0xXX>, `▁` and the printable ASCII characters, then word
// pieces of which every prefix is itself a token (SPM merges pairwise, so a piece is reachable only if its
// prefixes are).
import type { SeededRandom } from './seeded-random.ts';

/** llama.cpp's token types. */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

export const UNK_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';
export const SPACE = '▁';

export interface Vocabulary {
  readonly tokens: readonly string[];
  readonly scores: readonly number[];
  readonly types: readonly number[];
  /** True for tokens the model must never sample (control, unknown and bytes that are not printable text). */
  readonly banned: readonly boolean[];
  readonly imEndId: number;
}

const WORDS = [
  'the',
  'and',
  'of',
  'to',
  'in',
  'is',
  'it',
  'that',
  'for',
  'on',
  'with',
  'as',
  'was',
  'are',
  'be',
  'this',
  'hello',
  'world',
  'model',
  'token',
  'node',
  'peer',
  'network',
  'answer',
  'question',
  'user',
  'assistant',
  'system',
  'say',
  'what',
  'how',
  'why',
  'you',
  'we',
  'they',
  'can',
  'will',
  'not',
  'from',
  'by',
  'at',
];
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'an', 'el', 'or', 'is', 'um', 'en'];

/** A vocabulary of at least `minSize` tokens (more when the base set is larger), the same for a seed. */
export function buildVocabulary(minSize: number, random: SeededRandom): Vocabulary {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const banned: boolean[] = [];
  const seen = new Set<string>();
  const add = (text: string, type: number, score: number, ban: boolean) => {
    if (seen.has(text)) return;
    seen.add(text);
    tokens.push(text);
    scores.push(score);
    types.push(type);
    banned.push(ban);
  };
  add('<unk>', TOKEN_TYPE.UNKNOWN, 0, true);
  add('<s>', TOKEN_TYPE.CONTROL, 0, true);
  add('</s>', TOKEN_TYPE.CONTROL, 0, true);
  add(IM_START, TOKEN_TYPE.CONTROL, 0, true);
  add(IM_END, TOKEN_TYPE.CONTROL, 0, true);
  const imEndId = tokens.indexOf(IM_END);
  for (let byte = 0; byte < 256; byte++) {
    const printable = byte === 0x0a || (byte >= 0x20 && byte < 0x7f);
    add(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`, TOKEN_TYPE.BYTE, 0, !printable);
  }
  // Single characters score lowest, longer pieces higher: SPM applies the best-scoring merge first.
  add(SPACE, TOKEN_TYPE.NORMAL, -1000, false);
  for (let code = 0x21; code < 0x7f; code++) add(String.fromCharCode(code), TOKEN_TYPE.NORMAL, -1000, false);
  const addWord = (word: string) => {
    for (const piece of [SPACE + word, word]) {
      for (let end = 2; end <= piece.length; end++)
        add(piece.slice(0, end), TOKEN_TYPE.NORMAL, -1000 + end, false);
    }
  };
  for (const word of WORDS) addWord(word);
  while (tokens.length < minSize) {
    const count = 1 + (random.nextUint32() % 3);
    let word = '';
    for (let i = 0; i < count; i++) word += SYLLABLES[random.nextUint32() % SYLLABLES.length];
    addWord(word);
  }
  return { tokens, scores, types, banned, imEndId };
}

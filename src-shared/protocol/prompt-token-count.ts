// The billable prompt of a chat request: a count the NETWORK defines, which the worker quotes and the
// requester checks exactly, both from the same request (security finding 16). No requester has the model's
// tokenizer, and without a vocabulary every sound upper bound is the byte count (~4× the real prompt for
// English: a byte-level BPE token can be one byte). So the network does not try to bound the engine's count:
// it prices the prompt by a fixed, deterministic stand-in for it, close to what a Llama 3 BPE tokenizer gives
// (at or a little above it for English and code), that every node computes the same way. The worker may bill
// less (its engine's own count, when lower), never more.
//
// The rules (name `og-prompt-count/1`; a change of any rule or constant is a protocol change and needs a new
// name): the text is cut into pieces the way Llama 3's pre-tokenizer cuts it (a word with its leading space or
// punctuation mark, English contractions, numbers in groups of up to 3 digits, punctuation runs with the line
// breaks after them, whitespace runs), and each piece costs what a BPE vocabulary typically spends on it.
// Character classes come from fixed code point ranges in this file, never from the JavaScript engine's
// Unicode tables, which differ between versions.
//
// Calibrated offline with Llama 3's own tokenizer (the npm package llama3-tokenizer-js, not a dependency) on
// 1,500-character chunks, ours / Llama 3: the project's English design notes 1.01, licence texts 1.12,
// TypeScript 1.07, Python 1.10, JSON 1.01; Russian 1.03, Chinese 1.08, Japanese 1.05, but French 0.85 and
// German 0.72 (long compounds). Text no vocabulary holds is counted low: random lowercase 0.65 of Llama 3,
// base64 0.51 (such prompts are cheap here; the completion stays one token per delta). The UTF-8 bytes of the
// same chunks were 2.9–4.9 times Llama 3 (the old bound, the request's JSON bytes + 64, is more still).
// test/src-shared/protocol/prompt-token-count.test.ts keeps measured samples.
import type { ChatMessage, ChatRequest } from './chat.ts';

/** The name of these rules, for logs and documents: nodes that count differently cannot agree on a quote. */
export const PROMPT_COUNT_RULES = 'og-prompt-count/1';

/**
 * What one image costs, whatever its size: engines resize images to a fixed grid (LLaVA 576 tokens, Gemma 3
 * 256, Qwen2-VL about 1,300 for a 1024×1024 image), and the base64 text of the data URL is not tokenized.
 */
export const IMAGE_PROMPT_TOKENS = 1024;
/** The template's fixed text: a begin-of-text token and the generation prompt (5 tokens for Llama 3). */
export const REQUEST_OVERHEAD_TOKENS = 8;
/** Each message's header and end (Llama 3: start/end header, role, "\n\n", end of turn: 5; ChatML: 5). */
export const MESSAGE_OVERHEAD_TOKENS = 6;
/** A tool call in a message (its id, the template's call markers). */
const TOOL_CALL_OVERHEAD_TOKENS = 8;
/** The instructions a template puts around the tool list (Llama 3.1 and Qwen spend a few dozen tokens). */
const TOOLS_OVERHEAD_TOKENS = 32;

// What pieces cost, in hundredths of a token (UNIT), summed over the text and rounded up once at its end,
// so that the count follows the average a BPE vocabulary spends rather than rounding every piece up. From
// the calibration against Llama 3's tokenizer (see the header):
// - a word of up to 4 letters (with its leading space or mark) is one token; each further letter to 8 adds
//   0.08 (most words are one token, technical ones often two), each to 16 adds 0.2 (long words and
//   identifiers split), each beyond adds 0.33 (no vocabulary holds such runs: hashes, base64, random text);
// - each capital after a word's first letter adds 0.1 (camelCase and acronyms split there more often);
// - an accented letter in a Latin word adds 0.2 (vocabularies hold fewer of those words);
// - other non-ASCII letters by their UTF-8 length: 2 bytes (Cyrillic, Greek, Arabic, Hebrew) 0.28 (about
//   3.5 letters a token), 3 bytes (CJK, Indic, Thai) 0.75, 4 bytes (emoji, rare CJK) 2;
// - a group of up to 3 digits is one token (Llama 3 splits numbers so);
// - a punctuation run is one token and 0.4 more for each further mark;
// - a whitespace run is one token per 16 characters.
const UNIT = 100;
const SHORT_WORD = 4;
const MEDIUM_WORD = 8;
const LONG_WORD = 16;
const MEDIUM_LETTER = 8;
const LONG_LETTER = 20;
const RUN_LETTER = 33;
const INNER_CAPITAL = 10;
const ACCENTED_LETTER = 20;
const WIDE_LETTER = [0, 0, 28, 75, 200];
const PUNCT_MORE = 40;
const SPACE_WIDTH = 16;

/** The billable prompt tokens of `request` under the network's rules (never negative, deterministic). */
export function promptTokenCount(request: ChatRequest): number {
  let total = REQUEST_OVERHEAD_TOKENS;
  for (const message of request.messages) total += messageCount(message);
  if (request.tools && request.tools.length > 0)
    total += TOOLS_OVERHEAD_TOKENS + textTokenCount(JSON.stringify(request.tools));
  return total;
}

function messageCount(message: ChatMessage): number {
  let total = MESSAGE_OVERHEAD_TOKENS;
  const content = message.content;
  if (typeof content === 'string') total += textTokenCount(content);
  else if (content !== null)
    for (const part of content)
      total += part.type === 'text' ? textTokenCount(part.text) : IMAGE_PROMPT_TOKENS;
  if (message.name !== undefined) total += textTokenCount(message.name);
  if (message.tool_call_id !== undefined) total += textTokenCount(message.tool_call_id);
  for (const call of message.tool_calls ?? [])
    total +=
      TOOL_CALL_OVERHEAD_TOKENS +
      textTokenCount(call.function.name) +
      textTokenCount(call.function.arguments);
  return total;
}

/** Character classes (fixed ranges, see the header). */
const Kind = {
  Lower: 0,
  Upper: 1,
  /** A letter outside ASCII (weighed by its UTF-8 length). */
  Wide: 2,
  Digit: 3,
  Space: 4,
  Newline: 5,
  Punct: 6,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

function kindOf(point: number): Kind {
  if (point >= 0x61 && point <= 0x7a) return Kind.Lower;
  if (point >= 0x41 && point <= 0x5a) return Kind.Upper;
  if (point >= 0x30 && point <= 0x39) return Kind.Digit;
  if (point === 0x0a || point === 0x0d) return Kind.Newline;
  if (point === 0x20 || point === 0x09 || point === 0x0b || point === 0x0c) return Kind.Space;
  if (point < 0x80) return Kind.Punct;
  // No-break, ideographic and the general-punctuation spaces.
  if (point === 0xa0 || point === 0x3000 || (point >= 0x2000 && point <= 0x200a)) return Kind.Space;
  // Latin-1 signs, general punctuation (dashes, quotes, ellipsis), CJK and full-width punctuation.
  if (
    point <= 0xbf ||
    point === 0xd7 ||
    point === 0xf7 ||
    (point >= 0x2010 && point <= 0x206f) ||
    (point >= 0x3001 && point <= 0x3003) ||
    (point >= 0x3008 && point <= 0x3011) ||
    (point >= 0xff01 && point <= 0xff0f)
  )
    return Kind.Punct;
  return Kind.Wide;
}

function isLetter(kind: Kind): boolean {
  return kind === Kind.Lower || kind === Kind.Upper || kind === Kind.Wide;
}

function isSpace(kind: Kind): boolean {
  return kind === Kind.Space || kind === Kind.Newline;
}

/** UTF-8 length of a code point (lone surrogates count 3, as U+FFFD). */
function utf8Width(point: number): number {
  return point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
}

/**
 * The billable tokens of a text: pieces cut as Llama 3's pre-tokenizer cuts them, each costing at least one
 * token and more when long. Linear in the text; never negative; appending text never lowers it.
 */
export function textTokenCount(text: string): number {
  const points = Array.from(text, (c) => c.codePointAt(0)!);
  const kinds = points.map(kindOf);
  let units = 0;
  let i = 0;
  const n = points.length;
  while (i < n) {
    const kind = kinds[i]!;
    // English contractions: 's 't 'm 'd 're 've 'll.
    if (points[i] === 0x27 && i + 1 < n) {
      const a = points[i + 1]! | 0x20;
      const b = i + 2 < n ? points[i + 2]! | 0x20 : 0;
      if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) {
        units += UNIT;
        i += 2;
        continue;
      }
      if ((a === 0x72 && b === 0x65) || (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c)) {
        units += UNIT;
        i += 3;
        continue;
      }
    }
    // A word: letters, with one leading space or punctuation mark.
    const lead = !isLetter(kind) && kind !== Kind.Digit && kind !== Kind.Newline ? 1 : 0;
    if (i + lead < n && isLetter(kinds[i + lead]!)) {
      const end = wordEnd(kinds, i + lead);
      units += wordUnits(points, kinds, i + lead, end);
      i = end;
      continue;
    }
    if (kind === Kind.Digit) {
      let end = i;
      while (end < n && end - i < 3 && kinds[end] === Kind.Digit) end++;
      units += UNIT;
      i = end;
      continue;
    }
    // Punctuation: an optional space, the run, then any line breaks after it.
    const space = kind === Kind.Space && points[i] === 0x20 ? 1 : 0;
    if (i + space < n && kinds[i + space] === Kind.Punct) {
      let end = i + space;
      while (end < n && kinds[end] === Kind.Punct) end++;
      units += UNIT + (end - i - space - 1) * PUNCT_MORE;
      while (end < n && kinds[end] === Kind.Newline) end++;
      i = end;
      continue;
    }
    // Whitespace: up to and including the last line break of the run; else the run but its last space when a
    // word or mark follows (that space goes with it).
    let end = i;
    while (end < n && isSpace(kinds[end]!)) end++;
    let lastBreak = -1;
    for (let k = i; k < end; k++) if (kinds[k] === Kind.Newline) lastBreak = k;
    if (lastBreak >= 0) end = lastBreak + 1;
    else if (end < n && end - i > 1) end--;
    units += Math.ceil((end - i) / SPACE_WIDTH) * UNIT;
    i = end;
  }
  return Math.ceil(units / UNIT);
}

/** The end of the letter run from `start` (the run is split again into word parts by wordTokens). */
function wordEnd(kinds: readonly Kind[], start: number): number {
  let end = start;
  while (end < kinds.length && isLetter(kinds[end]!)) end++;
  return end;
}

/** The cost in UNITs of one letter run (its leading mark is free: BPE vocabularies hold " word" whole). */
function wordUnits(points: readonly number[], kinds: readonly Kind[], start: number, end: number): number {
  let ascii = 0;
  for (let i = start; i < end; i++) if (kinds[i] !== Kind.Wide) ascii++;
  // A run of non-ASCII letters alone costs their weight (a Chinese sentence is one such run), at least a token.
  if (ascii === 0) {
    let units = 0;
    for (let i = start; i < end; i++) units += WIDE_LETTER[utf8Width(points[i]!)]!;
    return Math.max(UNIT, units);
  }
  // A Latin word with accents ("Künstliche", "théories"): the accented letters are letters of the word and
  // cost a little more; letters of other scripts inside it cost their own weight.
  let units = UNIT;
  let letters = 0;
  for (let i = start; i < end; i++) {
    const kind = kinds[i]!;
    const width = utf8Width(points[i]!);
    if (kind === Kind.Wide && width > 2) {
      units += WIDE_LETTER[width]!;
      continue;
    }
    letters++;
    if (kind === Kind.Wide) units += ACCENTED_LETTER;
    if (kind === Kind.Upper && i > start) units += INNER_CAPITAL;
    if (letters > LONG_WORD) units += RUN_LETTER;
    else if (letters > MEDIUM_WORD) units += LONG_LETTER;
    else if (letters > SHORT_WORD) units += MEDIUM_LETTER;
  }
  return units;
}

// Property-test inputs for decoders of untrusted JSON (a config update from gossip, an OpenAI request body, a
// WebSocket call): a valid document with a few random edits anywhere in its tree. Pure random JSON rarely gets
// past a decoder's first check; an edited valid document reaches the deep fields, where a missed type check
// shows up as a TypeError instead of the decoder's named error.
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keys an attacker likes: prototype names and near-misses of real ones. */
const NASTY_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  'x'.repeat(300),
];

const NASTY_VALUES: Json[] = [
  null,
  true,
  0,
  -1,
  1e308,
  -1e308,
  0.5,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  '0',
  'NaN',
  '__proto__',
  'x'.repeat(5_000),
  [],
  {},
  [null],
  { __proto__: null },
];

/** One edit: where (an index into the tree's nodes, taken modulo their count), what, and with what. */
interface Edit {
  readonly at: number;
  readonly kind: 'replace' | 'delete' | 'add-key' | 'wrap';
  readonly value: Json;
  readonly key: string;
}

const editArbitrary: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('replace', 'delete', 'add-key', 'wrap'),
  value: fc.oneof(fc.constantFrom(...NASTY_VALUES), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>),
  key: fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 12 })),
});

/** Every container in the tree with each of its keys, depth first (the root has no parent). */
function slots(root: Json): { parent: Json[] | Record<string, Json>; key: string | number }[] {
  const out: { parent: Json[] | Record<string, Json>; key: string | number }[] = [];
  const walk = (node: Json) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        out.push({ parent: node, key: i });
        walk(child);
      });
    } else if (node !== null && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        out.push({ parent: node, key });
        walk(node[key]!);
      }
    }
  };
  walk(root);
  return out;
}

function applyEdit(root: Json, shared: Edit): Json {
  // A fresh copy of the edit's value: the constants above are shared by every run and must never be edited.
  const edit = { ...shared, value: JSON.parse(JSON.stringify(shared.value)) as Json };
  const all = slots(root);
  if (all.length === 0) return edit.value;
  const { parent, key } = all[edit.at % all.length]!;
  const set = (value: Json) => {
    // defineProperty: a "__proto__" key becomes an own field, as JSON.parse makes it.
    Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  };
  const current = (parent as Record<string, Json>)[key as string]!;
  switch (edit.kind) {
    case 'replace':
      set(edit.value);
      break;
    case 'wrap':
      set([current]);
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      break;
    case 'add-key':
      if (current !== null && typeof current === 'object' && !Array.isArray(current))
        Object.defineProperty(current, edit.key, {
          value: edit.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else set(edit.value);
      break;
  }
  return root;
}

/** `valid` (a JSON-compatible value) with 1–4 random edits; each run starts from a fresh copy. */
export function editedJson(valid: unknown): fc.Arbitrary<unknown> {
  const text = JSON.stringify(valid);
  return fc
    .array(editArbitrary, { minLength: 1, maxLength: 4 })
    .map((edits) => edits.reduce<Json>((tree, edit) => applyEdit(tree, edit), JSON.parse(text) as Json));
}

/** The same as text, sometimes cut short or with a byte changed (what a socket can deliver). */
export function editedJsonText(valid: unknown): fc.Arbitrary<string> {
  return fc.tuple(editedJson(valid), fc.nat(), fc.integer({ min: 0, max: 9 })).map(([value, at, how]) => {
    const text = JSON.stringify(value);
    if (how === 0) return text.slice(0, at % (text.length + 1));
    if (how === 1 && text.length > 0) {
      const i = at % text.length;
      return text.slice(0, i) + String.fromCharCode(at % 128) + text.slice(i + 1);
    }
    return text;
  });
}

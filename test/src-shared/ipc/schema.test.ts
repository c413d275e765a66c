import { describe, expect, it } from 'vitest';
import {
  array,
  boolean,
  integer,
  nullable,
  object,
  oneOf,
  optional,
  SchemaError,
  string,
  taggedUnion,
} from '../../../src-shared/ipc/schema.ts';

describe('schema', () => {
  const person = object({
    name: string({ max: 10 }),
    age: integer(0, 150),
    admin: boolean(),
    nickname: optional(string({ max: 5 })),
    boss: nullable(string({ max: 10 })),
    tags: array(oneOf(['a', 'b']), { max: 2 }),
  });

  it('returns a fresh copy of a valid value', () => {
    const input = { name: 'Ana', age: 30, admin: false, boss: null, tags: ['a'] };
    const parsed = person.parse(input);
    expect(parsed).toEqual(input);
    expect(parsed).not.toBe(input);
  });

  it.each([
    [{ name: 'Ana', age: 30.5, admin: false, boss: null, tags: [] }, 'age: expected a whole number'],
    [{ name: 'A'.repeat(11), age: 1, admin: false, boss: null, tags: [] }, 'name: longer than 10'],
    [{ name: 'Ana', age: 1, admin: 'no', boss: null, tags: [] }, 'admin: expected true or false'],
    [{ name: 'Ana', age: 1, admin: false, boss: null, tags: ['c'] }, 'tags[0]: expected one of a, b'],
    [{ name: 'Ana', age: 1, admin: false, boss: null, tags: ['a', 'a', 'b'] }, 'tags: more than 2'],
    [{ name: 'Ana', age: 1, admin: false, tags: [] }, 'boss: expected a string'],
    [{ name: 'Ana', age: 1, admin: false, boss: null, tags: [], role: 'x' }, 'role: unknown field'],
    [{ name: 'Ana', age: Number.NaN, admin: false, boss: null, tags: [] }, 'age: expected a finite number'],
  ])('rejects %j', (value, message) => {
    expect(() => person.parse(value)).toThrow(SchemaError);
    expect(() => person.parse(value)).toThrow(message);
  });

  it('refuses objects with a prototype other than Object (no class instances, no polluted protos)', () => {
    const sneaky = Object.create({ admin: true }) as object;
    expect(() => person.parse(sneaky)).toThrow('expected an object');
    expect(() => person.parse(JSON.parse('{"__proto__": {"admin": true}}'))).toThrow(
      '__proto__: unknown field',
    );
  });

  it('selects the variant of a tagged union by its tag and checks only that variant', () => {
    const shape = taggedUnion('kind', {
      circle: { radius: integer(0, 10) },
      square: { side: integer(0, 10) },
    });
    expect(shape.parse({ kind: 'square', side: 3 })).toEqual({ kind: 'square', side: 3 });
    expect(() => shape.parse({ kind: 'square', radius: 3 })).toThrow('radius: unknown field');
    expect(() => shape.parse({ kind: 'triangle' })).toThrow('kind: expected one of circle, square');
  });
});

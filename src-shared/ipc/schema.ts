// A small runtime schema library: every payload that crosses the ipc boundary is untrusted, and its
// TypeScript type is inferred from the schema that checks it, so no shape is written twice.

/** Thrown when a payload does not match its schema; `path` names the offending field. */
export class SchemaError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path || 'payload'}: ${problem}`);
    this.name = 'SchemaError';
    this.path = path;
  }
}

/** Checks an unknown value and returns a fresh, typed copy (never the input object itself). */
export interface Schema<T> {
  readonly parse: (value: unknown, path?: string) => T;
  /** Set only by `optional()`: lets `object()` mark the key as optional in the inferred type. */
  readonly optional?: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function fail(path: string, problem: string): never {
  throw new SchemaError(path, problem);
}

export interface StringRules {
  readonly min?: number;
  readonly max: number;
  readonly pattern?: RegExp;
}

/** A string with a mandatory maximum length: no unbounded strings cross the boundary. */
export function string(rules: StringRules): Schema<string> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'string') return fail(path, `expected a string, got ${describe(value)}`);
      if (value.length > rules.max) return fail(path, `longer than ${rules.max} characters`);
      if (rules.min !== undefined && value.length < rules.min)
        return fail(path, `shorter than ${rules.min} characters`);
      if (rules.pattern && !rules.pattern.test(value)) return fail(path, 'has an invalid format');
      return value;
    },
  };
}

export interface NumberRules {
  readonly min: number;
  readonly max: number;
  readonly integer?: boolean;
}

/** A finite number within bounds (NaN and Infinity never pass). */
export function number(rules: NumberRules): Schema<number> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return fail(path, `expected a finite number, got ${describe(value)}`);
      if (rules.integer && !Number.isInteger(value)) return fail(path, 'expected a whole number');
      if (value < rules.min || value > rules.max)
        return fail(path, `must be between ${rules.min} and ${rules.max}`);
      return value;
    },
  };
}

export function integer(min: number, max: number): Schema<number> {
  return number({ min, max, integer: true });
}

export function boolean(): Schema<boolean> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'boolean') return fail(path, `expected true or false, got ${describe(value)}`);
      return value;
    },
  };
}

/** One of a fixed list of strings (the union type is inferred from the list). */
export function oneOf<const V extends readonly string[]>(values: V): Schema<V[number]> {
  return {
    parse(value, path = '') {
      if (typeof value !== 'string' || !values.includes(value))
        return fail(path, `expected one of ${values.join(', ')}`);
      return value;
    },
  };
}

export function literal<const V extends string | number | boolean>(expected: V): Schema<V> {
  return {
    parse(value, path = '') {
      if (value !== expected) return fail(path, `expected ${JSON.stringify(expected)}`);
      return expected;
    },
  };
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    parse(value, path = '') {
      return value === null ? null : inner.parse(value, path);
    },
  };
}

/** A key that may be absent (or undefined) inside `object()`. */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { readonly optional: true } {
  return {
    optional: true,
    parse(value, path = '') {
      return value === undefined ? undefined : inner.parse(value, path);
    },
  };
}

export function array<T>(item: Schema<T>, rules: { readonly max: number }): Schema<T[]> {
  return {
    parse(value, path = '') {
      if (!Array.isArray(value)) return fail(path, `expected an array, got ${describe(value)}`);
      if (value.length > rules.max) return fail(path, `more than ${rules.max} items`);
      return value.map((entry, index) => item.parse(entry, `${path}[${index}]`));
    },
  };
}

type Shape = Readonly<Record<string, Schema<unknown>>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends { readonly optional: true } ? K : never;
}[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A plain object with exactly the listed keys. Unknown keys are rejected rather than dropped: a peer that
 * sends fields we do not know is running another contract version, and silently ignoring them hides that.
 */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return {
    parse(value, path = '') {
      if (!isPlainObject(value)) return fail(path, `expected an object, got ${describe(value)}`);
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(shape, key)) return fail(path ? `${path}.${key}` : key, 'unknown field');
      }
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const schema = shape[key] as Schema<unknown>;
        const parsed = schema.parse(value[key], path ? `${path}.${key}` : key);
        if (parsed !== undefined) out[key] = parsed;
      }
      return out as ObjectOf<S>;
    },
  };
}

type Variants = Readonly<Record<string, Shape>>;
export type TaggedUnionOf<Tag extends string, V extends Variants> = {
  [K in keyof V & string]: Simplify<{ [T in Tag]: K } & ObjectOf<V[K]>>;
}[keyof V & string];

/** A discriminated union: `tag` selects the variant, whose other fields are checked like `object()`. */
export function taggedUnion<Tag extends string, V extends Variants>(
  tag: Tag,
  variants: V,
): Schema<TaggedUnionOf<Tag, V>> {
  const parsers = new Map<string, Schema<Record<string, unknown>>>();
  for (const [name, shape] of Object.entries(variants)) {
    parsers.set(name, object({ ...shape, [tag]: literal(name) }));
  }
  return {
    parse(value, path = '') {
      if (!isPlainObject(value)) return fail(path, `expected an object, got ${describe(value)}`);
      const kind = value[tag];
      const parser = typeof kind === 'string' ? parsers.get(kind) : undefined;
      if (!parser)
        return fail(path ? `${path}.${tag}` : tag, `expected one of ${[...parsers.keys()].join(', ')}`);
      return parser.parse(value, path) as TaggedUnionOf<Tag, V>;
    },
  };
}

/** The schema of calls that take no input: only `null` or an absent value. */
export const none: Schema<null> = {
  parse(value, path = '') {
    if (value !== null && value !== undefined) return fail(path, 'expected no input');
    return null;
  },
};

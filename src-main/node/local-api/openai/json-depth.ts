// How deeply a parsed JSON value nests, measured without recursion (security finding 25): a request with
// thousands of nested arrays in a tool's parameters made JSON.stringify overflow the stack further down,
// which answered 500 instead of telling the client what was wrong.

/** Deeper than any real tool schema or message: OpenAI's own limit on tool parameter schemas is far lower. */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests objects or arrays more than `limit` levels deep. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: { readonly value: unknown; readonly depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limit) return true;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

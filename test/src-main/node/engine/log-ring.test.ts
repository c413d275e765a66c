import { describe, expect, it } from 'vitest';
import { LogRing } from '../../../../src-main/node/engine/log-ring.ts';

describe('LogRing', () => {
  it('keeps the newest lines, oldest first', () => {
    const ring = new LogRing(3);
    for (const line of ['a', 'b', 'c', 'd', 'e']) ring.push(line);
    expect(ring.lines()).toEqual(['c', 'd', 'e']);
    expect(ring.last(2)).toEqual(['d', 'e']);
  });
});

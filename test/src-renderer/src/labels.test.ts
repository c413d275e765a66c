// The dashboard's status banner in words: what a contributor reads after pressing "Pause contributing".
import { describe, expect, it } from 'vitest';
import { statusView } from '../../../src-renderer/src/labels.ts';

describe('statusView while paused', () => {
  it('says requests are still finishing while a pause drains, and plain "Paused" once they are done', () => {
    const draining = statusView(
      { status: 'paused', reason: 'user', since: 0, finishingRequests: 2 },
      'europe',
    );
    expect(draining.headline).toBe('Finishing 2 requests…');
    expect(draining.detail).toContain('You paused contributing. No new requests are taken');
    const one = statusView({ status: 'paused', reason: 'user', since: 0, finishingRequests: 1 }, 'europe');
    expect(one.headline).toBe('Finishing 1 request…');
    expect(one.detail).toContain('the one already started finishes first');
    const done = statusView({ status: 'paused', reason: 'user', since: 0, finishingRequests: 0 }, 'europe');
    expect(done.headline).toBe('Paused');
  });

  it('names idle-only mode as the reason when the user is active', () => {
    const view = statusView(
      { status: 'paused', reason: 'waiting-for-idle', since: 0, finishingRequests: 3 },
      null,
    );
    expect(view.headline).toBe('Finishing 3 requests…');
    expect(view.detail).toContain('Idle-only mode');
  });
});

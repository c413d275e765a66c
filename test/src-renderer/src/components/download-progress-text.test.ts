// What a contributor reads under a model's download bar (issue 14 item 5): rate, time left, and whether the
// bytes come from region peers, the origin server, or both.
import { describe, expect, it } from 'vitest';
import { downloadProgressText } from '../../../../src-renderer/src/components/download-progress-text.ts';

const downloading = {
  status: 'downloading' as const,
  modelId: 'tiny',
  receivedBytes: 1.5e9,
  totalBytes: 6e9,
  bytesPerSecond: 25e6,
  etaSeconds: 180,
};

describe('downloadProgressText', () => {
  it('shows share, size, rate and time left of a download from the origin only', () => {
    expect(downloadProgressText(downloading)).toBe('25% · 1.5 GB of 6.0 GB · 25 MB/s · about 3 min left');
  });

  it('names the peers sending, and the origin only once it sent bytes', () => {
    const fromPeers = { ...downloading, peers: 3, peerBytes: 1.5e9, originBytes: 0 };
    expect(downloadProgressText(fromPeers)).toBe(
      '25% · 1.5 GB of 6.0 GB · 25 MB/s · about 3 min left · from 3 peers',
    );
    expect(downloadProgressText({ ...fromPeers, peers: 1, originBytes: 2e8 })).toBe(
      '25% · 1.5 GB of 6.0 GB · 25 MB/s · about 3 min left · from 1 peer + origin',
    );
  });

  it('says the time left is being estimated while the rate is unknown', () => {
    expect(downloadProgressText({ ...downloading, bytesPerSecond: 0, etaSeconds: null, peers: 0 })).toBe(
      '25% · 1.5 GB of 6.0 GB · estimating time left · from 0 peers',
    );
  });
});

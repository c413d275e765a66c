// `opengateway-node models pull`'s progress line: where the bytes come from (issue 14 item 5), when a
// download has sources to report.
import { describe, expect, it } from 'vitest';
import { sourcesText } from '../../../../src-main/cli/commands/models.ts';

const downloading = {
  status: 'downloading' as const,
  modelId: 'tiny',
  receivedBytes: 1e9,
  totalBytes: 4e9,
  bytesPerSecond: 1e7,
  etaSeconds: 300,
};

describe('models pull progress', () => {
  it('shows peers and origin with their bytes for a file fetched by content address', () => {
    expect(sourcesText({ ...downloading, peers: 2, peerBytes: 1.2e9, originBytes: 3e8 })).toBe(
      '  from 2 peers (1.2 GB) + origin (300.0 MB)',
    );
    expect(sourcesText({ ...downloading, peers: 1, peerBytes: 5e5, originBytes: 0 })).toBe(
      '  from 1 peer (500 KB) + origin (0 KB)',
    );
  });

  it('says nothing of sources for a plain HTTP download', () => {
    expect(sourcesText(downloading)).toBe('');
  });
});

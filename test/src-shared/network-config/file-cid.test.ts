import { describe, expect, it } from 'vitest';
import { NetworkConfigInvalidError, parseGgufModel } from '../../../src-shared/network-config/index.ts';

const SHA = 'ab'.repeat(32);
// Computed by `opengateway-node models cid` (test/src-main/node/weights/file-dag.test.ts checks the tool).
const DAG_CID = 'bafybeigyhs7r7fvlb4xfd33x6ezkkxosxild6l3w44qbnsdvtq7ejh6ua4';
const RAW_CID = 'bafkreigyo2efw72a5ltqxupver5jqverj6syclhghgmofweuu2hbq6lhzm';
const file = { name: 'm.gguf', urls: ['http://127.0.0.1:8080/m.gguf'], sizeBytes: 3_145_733, sha256: SHA };
const model = (f: Record<string, unknown>) => ({
  format: 'gguf',
  id: 'm',
  quantization: 'F32',
  contextLength: 512,
  memoryBytes: 10_000_000,
  files: [f],
});

function refusal(value: unknown): string {
  try {
    parseGgufModel(value, 'm');
  } catch (error) {
    expect(error).toBeInstanceOf(NetworkConfigInvalidError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe("a catalog file's content address", () => {
  it('is optional: a file without one still parses (configs signed before it stay valid)', () => {
    expect(parseGgufModel(model(file), 'm').files[0]).toEqual(file);
  });

  it('keeps a canonical CIDv1 root: dag-pb for a file of several chunks, raw for one chunk', () => {
    expect(parseGgufModel(model({ ...file, cid: DAG_CID }), 'm').files[0]!.cid).toBe(DAG_CID);
    const small = { ...file, sizeBytes: 100, cid: RAW_CID };
    expect(parseGgufModel(model(small), 'm').files[0]!.cid).toBe(RAW_CID);
  });

  it('refuses anything else, naming the field', () => {
    expect(refusal(model({ ...file, cid: 42 }))).toContain('files[0].cid');
    expect(refusal(model({ ...file, cid: DAG_CID.toUpperCase() }))).toContain('base32');
    // CIDv0 (Qm…) and other bases are not the one spelling we sign.
    expect(refusal(model({ ...file, cid: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG' }))).toContain(
      'base32',
    );
    expect(refusal(model({ ...file, cid: DAG_CID.slice(0, -4) }))).toContain('files[0].cid');
    // A raw CID claims the whole file is one block: not for a file of several chunks (and the reverse).
    expect(refusal(model({ ...file, cid: RAW_CID }))).toContain('dag-pb');
    expect(refusal(model({ ...file, sizeBytes: 100, cid: DAG_CID }))).toContain('raw');
  });
});

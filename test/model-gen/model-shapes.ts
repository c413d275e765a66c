// The shapes of the generated test models. `tiny` is the CPU-bound worst case for routing overhead (thousands
// of tokens a second); `qwen-0.5b-q4` has Qwen2.5-0.5B's layer shapes in Q4_0, so it computes like a real
// small model (~65 tokens/s on one thread of our build machines), with a small vocabulary: its own
// 151,936-token vocabulary would only add embedding rows that random weights cannot use.
import { GGML_TYPE, type GgmlType } from './tensor-encoding.ts';

export type TestModelShapeName = 'tiny' | 'qwen-0.5b-q4';

export interface TestModelShape {
  readonly name: TestModelShapeName;
  readonly embedding: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly feedForward: number;
  /** At least this many tokens (the base set of specials, bytes and characters is ~360). */
  readonly minVocabulary: number;
  readonly contextLength: number;
  readonly rmsEpsilon: number;
  /** Type of the attention and feed-forward matrices. */
  readonly matrixType: GgmlType;
  /** Type of the token embedding and output matrices. */
  readonly embeddingType: GgmlType;
}

export const TEST_MODEL_SHAPES: Readonly<Record<TestModelShapeName, TestModelShape>> = {
  tiny: {
    name: 'tiny',
    embedding: 64,
    layers: 2,
    heads: 4,
    kvHeads: 4,
    feedForward: 128,
    minVocabulary: 512,
    contextLength: 2048,
    rmsEpsilon: 1e-5,
    matrixType: GGML_TYPE.F32,
    embeddingType: GGML_TYPE.F32,
  },
  'qwen-0.5b-q4': {
    name: 'qwen-0.5b-q4',
    embedding: 896,
    layers: 24,
    heads: 14,
    kvHeads: 2,
    feedForward: 4864,
    minVocabulary: 2048,
    contextLength: 32768,
    rmsEpsilon: 1e-6,
    matrixType: GGML_TYPE.Q4_0,
    embeddingType: GGML_TYPE.F16,
  },
};

export function isTestModelShapeName(value: string): value is TestModelShapeName {
  return Object.hasOwn(TEST_MODEL_SHAPES, value);
}

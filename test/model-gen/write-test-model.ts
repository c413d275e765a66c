// Writes a llama-architecture GGUF model with random, seeded weights that llama.cpp really loads and runs:
// real tokenizer, prefill, sampling and streaming, meaningless text. Requirements and the reasons for each
// trick are in ../shared/ref/real-engine.md ("A test model llama.cpp really runs").
import { writeGguf, type GgufTensor, type GgufValue } from './gguf-writer.ts';
import { TEST_MODEL_SHAPES, type TestModelShape, type TestModelShapeName } from './model-shapes.ts';
import { SeededRandom } from './seeded-random.ts';
import { encodeRow, GGML_TYPE, randomQ4Row, rowBytes, type GgmlType } from './tensor-encoding.ts';
import { BOS_ID, buildVocabulary, EOS_ID, UNK_ID, type Vocabulary } from './vocabulary.ts';

export interface WriteTestModelOptions {
  readonly shape: TestModelShapeName;
  /** Same seed, same bytes. Default 1. */
  readonly seed?: number;
}

export interface WrittenTestModel {
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** ChatML, which node-llama-cpp's chat session recognises. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The model id (general.name) a test model of this shape reports. */
export function testModelId(shape: TestModelShapeName): string {
  return `og-test-${shape}`;
}

/** The context length written into a test model of this shape. */
export function testModelContextLength(shape: TestModelShapeName): number {
  return TEST_MODEL_SHAPES[shape].contextLength;
}

export async function writeTestModel(
  path: string,
  options: WriteTestModelOptions,
): Promise<WrittenTestModel> {
  const shape = TEST_MODEL_SHAPES[options.shape];
  const random = new SeededRandom(options.seed ?? 1);
  const vocabulary = buildVocabulary(shape.minVocabulary, random);
  return writeGguf(path, metadataFor(shape, vocabulary), tensorsFor(shape, vocabulary, random));
}

function metadataFor(shape: TestModelShape, vocabulary: Vocabulary): Array<[string, GgufValue]> {
  const headDim = shape.embedding / shape.heads;
  return [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: testModelId(shape.name) }],
    ['llama.context_length', { type: 'u32', value: shape.contextLength }],
    ['llama.embedding_length', { type: 'u32', value: shape.embedding }],
    ['llama.block_count', { type: 'u32', value: shape.layers }],
    ['llama.feed_forward_length', { type: 'u32', value: shape.feedForward }],
    ['llama.attention.head_count', { type: 'u32', value: shape.heads }],
    ['llama.attention.head_count_kv', { type: 'u32', value: shape.kvHeads }],
    ['llama.rope.dimension_count', { type: 'u32', value: headDim }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: shape.rmsEpsilon }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocabulary.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: vocabulary.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocabulary.types }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: BOS_ID }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: EOS_ID }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: UNK_ID }],
    ['tokenizer.ggml.eot_token_id', { type: 'u32', value: vocabulary.imEndId }],
    ['tokenizer.chat_template', { type: 'string', value: CHATML_TEMPLATE }],
  ];
}

interface MatrixOptions {
  /** Output row 0 all zero: no layer writes embedding dimension 0, so it stays the constant 1.0. */
  readonly zeroFirstRow?: boolean;
  /** Adjusts a row's values before they are encoded (float and Q8_0 types only). */
  readonly rowHook?: (row: number, values: Float32Array) => void;
}

/** A matrix of `rows` rows of `width` random values with standard deviation `std`. */
function matrix(
  name: string,
  width: number,
  rows: number,
  type: GgmlType,
  std: number,
  random: SeededRandom,
  options: MatrixOptions = {},
): GgufTensor {
  if (type === GGML_TYPE.Q4_0 && options.rowHook) throw new Error(`${name}: row hooks need a float type`);
  return {
    name,
    ne: [width, rows],
    type,
    fill: (out) => {
      const stride = rowBytes(type, width);
      const values = new Float32Array(width);
      const spread = std * Math.sqrt(3);
      for (let row = 0; row < rows; row++) {
        if (row === 0 && options.zeroFirstRow) {
          // All-zero bytes are zero in every type (a zero scale for the quantized ones).
          out.fill(0, 0, stride);
        } else if (type === GGML_TYPE.Q4_0) {
          randomQ4Row(random, width, std, out, row * stride);
        } else {
          for (let i = 0; i < width; i++) values[i] = random.symmetric(spread);
          options.rowHook?.(row, values);
          encodeRow(type, values, out, row * stride);
        }
      }
    },
  };
}

function norm(name: string, width: number): GgufTensor {
  return {
    name,
    ne: [width],
    type: GGML_TYPE.F32,
    fill: (out) => new Float32Array(out.buffer, out.byteOffset, width).fill(1),
  };
}

function tensorsFor(shape: TestModelShape, vocabulary: Vocabulary, random: SeededRandom): GgufTensor[] {
  const n = shape.embedding;
  const vocab = vocabulary.tokens.length;
  const headDim = n / shape.heads;
  const qWidth = headDim * shape.heads;
  const kvWidth = headDim * shape.kvHeads;
  const inStd = 1 / Math.sqrt(n);
  const tensors: GgufTensor[] = [
    matrix('token_embd.weight', n, vocab, shape.embeddingType, 1, random, {
      rowHook: (_row, values) => {
        values[0] = 1;
      },
    }),
    norm('output_norm.weight', n),
    // Dimension 0 is always ~1 after the final norm: -100 there means a token is never sampled.
    matrix('output.weight', n, vocab, shape.embeddingType, 2 * inStd, random, {
      rowHook: (row, values) => {
        values[0] = vocabulary.banned[row] ? -100 : 0;
      },
    }),
  ];
  for (let layer = 0; layer < shape.layers; layer++) {
    const blk = `blk.${layer}`;
    tensors.push(
      norm(`${blk}.attn_norm.weight`, n),
      matrix(`${blk}.attn_q.weight`, n, qWidth, shape.matrixType, inStd, random),
      matrix(`${blk}.attn_k.weight`, n, kvWidth, shape.matrixType, inStd, random),
      matrix(`${blk}.attn_v.weight`, n, kvWidth, shape.matrixType, inStd, random),
      matrix(`${blk}.attn_output.weight`, qWidth, n, shape.matrixType, 1 / Math.sqrt(qWidth), random, {
        zeroFirstRow: true,
      }),
      norm(`${blk}.ffn_norm.weight`, n),
      matrix(`${blk}.ffn_gate.weight`, n, shape.feedForward, shape.matrixType, inStd, random),
      matrix(`${blk}.ffn_up.weight`, n, shape.feedForward, shape.matrixType, inStd, random),
      matrix(
        `${blk}.ffn_down.weight`,
        shape.feedForward,
        n,
        shape.matrixType,
        1 / Math.sqrt(shape.feedForward),
        random,
        {
          zeroFirstRow: true,
        },
      ),
    );
  }
  return tensors;
}

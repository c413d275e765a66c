// The generated tiny llama as tier model-a's built-in model: the catalog devnets and lab runs put in their
// network config, so every worker serves real llama.cpp output (test/model-gen writes the file).
import type { ModelCatalog } from '../src-shared/network-config/index.ts';
import { testModelContextLength, testModelId, writeTestModel } from '../test/model-gen/write-test-model.ts';

const SHAPE = 'tiny';

export interface TestModel {
  readonly id: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

/** Writes the generated model to `dir` (deterministic: the same bytes every time). */
export async function writeTinyTestModel(dir: string): Promise<TestModel> {
  const id = testModelId(SHAPE);
  const path = `${dir}/${id}.gguf`;
  const { sha256, sizeBytes } = await writeTestModel(path, { shape: SHAPE });
  return { id, path, sizeBytes, sha256 };
}

/** The catalog naming `model` as model-a's built-in model, fetched from `url`. */
export function tinyModelCatalog(model: TestModel, url: string): ModelCatalog {
  return {
    tiers: {
      'model-a': {
        // The tier's name for clients is its model: every worker serves the generated one.
        engineModels: {
          exo: model.id,
          builtin: {
            format: 'gguf',
            id: model.id,
            quantization: 'F32',
            contextLength: testModelContextLength(SHAPE),
            // Weights plus llama.cpp's buffers at this context: a few MB.
            memoryBytes: model.sizeBytes + 64 * 1024 * 1024,
            files: [
              { name: `${model.id}.gguf`, urls: [url], sizeBytes: model.sizeBytes, sha256: model.sha256 },
            ],
          },
        },
        exampleModels: ['Generated test model (random weights)'],
      },
    },
  };
}

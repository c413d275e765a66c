// A generated test model as the built-in engine takes it (a ModelFile), for tests, benchmarks and devnets.
import { join } from 'node:path';
import type { ModelFile } from '../../src-main/node/engine/builtin/model-source.ts';
import type { TestModelShapeName } from './model-shapes.ts';
import { testModelContextLength, testModelId, writeTestModel } from './write-test-model.ts';

/** Writes `<dir>/og-test-<shape>.gguf` and describes it. */
export async function generateTestModelFile(
  dir: string,
  shape: TestModelShapeName = 'tiny',
  seed = 1,
): Promise<ModelFile> {
  const path = join(dir, `${testModelId(shape)}.gguf`);
  const { sha256 } = await writeTestModel(path, { shape, seed });
  return { path, modelId: testModelId(shape), contextLength: testModelContextLength(shape), sha256 };
}

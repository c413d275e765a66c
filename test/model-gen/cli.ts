// Writes a generated test model: `npx node test/model-gen/cli.ts --out FILE [--shape tiny|qwen-0.5b-q4] [--seed N]`.
// Prints one JSON line: the path, shape, model id, SHA-256 and size.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isTestModelShapeName } from './model-shapes.ts';
import { testModelId, writeTestModel } from './write-test-model.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    shape: { type: 'string', default: 'tiny' },
    seed: { type: 'string', default: '1' },
  },
  strict: true,
});
const shape = values.shape;
const seed = Number(values.seed);
if (!values.out || !isTestModelShapeName(shape) || !Number.isSafeInteger(seed)) {
  process.stderr.write('usage: cli.ts --out FILE [--shape tiny|qwen-0.5b-q4] [--seed N]\n');
  process.exit(2);
}
const path = resolve(values.out);
const started = performance.now();
const written = await writeTestModel(path, { shape, seed });
process.stdout.write(
  `${JSON.stringify({ path, shape, modelId: testModelId(shape), ...written, ms: Math.round(performance.now() - started) })}\n`,
);

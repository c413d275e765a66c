import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIERS,
  modelSizeMismatch,
  parameterBillions,
  tierParameterBillions,
} from '../../../src-shared/tiers/index.ts';

describe('model sizes read from ids', () => {
  it('reads the parameter count the way servers name models', () => {
    expect(parameterBillions('llama3.1:8b')).toBe(8);
    expect(parameterBillions('mlx-community/Meta-Llama-3.1-8B-Instruct-4bit')).toBe(8);
    expect(parameterBillions('qwen2.5-72b-instruct')).toBe(72);
    expect(parameterBillions('Qwen2.5-1.5B-Instruct')).toBe(1.5);
    expect(parameterBillions('llama-3.3-70b-instruct-q4_k_m')).toBe(70);
    // Quantization, versions and mixtures name no single size.
    expect(parameterBillions('some-model-4bit')).toBeNull();
    expect(parameterBillions('model-q4_k_m')).toBeNull();
    expect(parameterBillions('mixtral-8x7b')).toBeNull();
    expect(parameterBillions('gpt-oss')).toBeNull();
  });

  it("knows each launch tier's size and refuses a model of another class", () => {
    expect(DEFAULT_TIERS.map(tierParameterBillions)).toEqual([8, 8, 70, 70]);
    expect(modelSizeMismatch('llama3.1:8b', 8)).toBeNull();
    expect(modelSizeMismatch('mistral:7b', 8)).toBeNull();
    expect(modelSizeMismatch('qwen2.5:72b', 70)).toBeNull();
    expect(modelSizeMismatch('llama3.2:3b', 8)).toBe(
      "llama3.2:3b has 3B parameters; this tier's model has 8B",
    );
    expect(modelSizeMismatch('llama3.1:8b', 70)).not.toBeNull();
    // A name without a size cannot be told: allowed (the contributor chose it).
    expect(modelSizeMismatch('my-finetune', 70)).toBeNull();
  });
});

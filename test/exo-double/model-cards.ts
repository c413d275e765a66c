// A few of EXO's built-in model cards (resources/inference_model_cards at HEAD), camelCase as /state shows them.

export interface ModelCardJson {
  readonly modelId: string;
  readonly storageSize: { readonly inBytes: number };
  readonly nLayers: number;
  readonly hiddenSize: number;
  readonly supportsTensor: boolean;
  readonly numKeyValueHeads: number | null;
  readonly tasks: readonly string[];
  readonly components: null;
  readonly family: string;
  readonly quantization: string;
  readonly baseModel: string;
  readonly capabilities: readonly string[];
  readonly backends: readonly string[];
  readonly reasoningDialect: null;
  readonly contextLength: number;
  readonly usesCfg: boolean;
  readonly trustRemoteCode: boolean;
  readonly isCustom: boolean;
  readonly vision: null;
  readonly samplingDefaults: Readonly<Record<string, number>>;
}

function card(
  modelId: string,
  name: string,
  bytes: number,
  nLayers: number,
  hiddenSize: number,
  family: string,
  quantization: string,
): ModelCardJson {
  return {
    modelId,
    storageSize: { inBytes: bytes },
    nLayers,
    hiddenSize,
    supportsTensor: true,
    numKeyValueHeads: 8,
    tasks: ['TextGeneration'],
    components: null,
    family,
    quantization,
    baseModel: name,
    capabilities: ['text'],
    backends: ['MlxMetal', 'MlxCuda', 'MlxCpu'],
    reasoningDialect: null,
    contextLength: 131_072,
    usesCfg: false,
    trustRemoteCode: false,
    isCustom: false,
    vision: null,
    samplingDefaults: {},
  };
}

export const MODEL_CARDS: readonly ModelCardJson[] = [
  card('mlx-community/Llama-3.2-1B-Instruct-4bit', 'Llama 3.2 1B', 751_619_276, 16, 2048, 'llama', '4bit'),
  card(
    'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit',
    'Llama 3.1 8B',
    4_637_851_648,
    32,
    4096,
    'llama',
    '4bit',
  ),
  card(
    'mlx-community/Meta-Llama-3.1-8B-Instruct-8bit',
    'Llama 3.1 8B',
    8_954_839_040,
    32,
    4096,
    'llama',
    '8bit',
  ),
  card(
    'mlx-community/Meta-Llama-3.1-70B-Instruct-4bit',
    'Llama 3.1 70B',
    40_652_242_944,
    80,
    8192,
    'llama',
    '4bit',
  ),
];

/** `GET /models` entries (snake_case: a plain API type). */
export function modelListEntry(model: ModelCardJson) {
  return {
    id: model.modelId,
    object: 'model',
    created: 1_750_000_000,
    owned_by: 'exo',
    hugging_face_id: model.modelId,
    name: model.modelId.split('/')[1]!.toLowerCase(),
    description: '',
    context_length: model.contextLength,
    tags: [],
    storage_size_megabytes: Math.round(model.storageSize.inBytes / 1024 / 1024),
    supports_tensor: model.supportsTensor,
    tasks: model.tasks,
    is_custom: model.isCustom,
    family: model.family,
    quantization: model.quantization,
    base_model: model.baseModel,
    capabilities: model.capabilities,
    reasoning_dialect: null,
  };
}

// `GET /v1/models` (OpenAI's list shape, which EXO's /models and every OpenAI-compatible server share).
import { EngineProtocolError } from './errors.ts';

/** The model ids of a `{ "object": "list", "data": [{ "id": … }] }` answer. */
export function decodeModelList(value: unknown, engineName: string): string[] {
  const data = value !== null && typeof value === 'object' ? (value as { data?: unknown }).data : undefined;
  if (!Array.isArray(data))
    throw new EngineProtocolError(`${engineName} answered /models without a model list`);
  return data.flatMap((entry: unknown) => {
    const id = entry !== null && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined;
    return typeof id === 'string' && id !== '' ? [id] : [];
  });
}

// Our errors in OpenAI's error shape and status codes, so OpenAI clients (and tools built on them) show the
// message a person can act on.
import { isExpectedError } from '../../../../src-shared/errors/expected-error.ts';
import {
  NoLiveMemberError,
  NoWorkerAnsweredError,
  PartialResponseError,
  QueueFullError,
  QueueTimeoutError,
  UnknownModelError,
} from '../../routing/errors.ts';
import type { ApiResponse } from '../http/api-server.ts';

export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly code: string | null;
    readonly param: null;
  };
}

export function openAiError(
  status: number,
  message: string,
  type: string,
  code: string | null = null,
): ApiResponse {
  return { status, body: errorBody(message, type, code) };
}

export function errorBody(message: string, type: string, code: string | null): OpenAiErrorBody {
  return { error: { message, type, code, param: null } };
}

/** The status and body for an error thrown while routing; null for a bug (the server logs it as a 500). */
export function routingErrorResponse(error: unknown): { status: number; body: OpenAiErrorBody } | null {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UnknownModelError)
    return { status: 404, body: errorBody(message, 'invalid_request_error', 'model_not_found') };
  if (error instanceof NoLiveMemberError)
    return { status: 503, body: errorBody(message, 'server_error', 'no_capacity') };
  if (error instanceof QueueFullError)
    return { status: 429, body: errorBody(message, 'rate_limit_error', 'queue_full') };
  if (error instanceof QueueTimeoutError)
    return { status: 429, body: errorBody(message, 'rate_limit_error', 'queue_timeout') };
  if (error instanceof NoWorkerAnsweredError)
    return { status: 502, body: errorBody(message, 'server_error', 'no_worker_answered') };
  if (error instanceof PartialResponseError)
    return { status: 502, body: errorBody(message, 'server_error', 'partial_response') };
  // Other user-facing refusals (a balance below the minimum, from the ledger's admission check).
  if (isExpectedError(error))
    return { status: 402, body: errorBody(message, 'invalid_request_error', 'request_refused') };
  return null;
}

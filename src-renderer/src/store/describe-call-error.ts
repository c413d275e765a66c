// Turns a failed call into a sentence for a contributor. Only expected errors are shown verbatim.
import { ContractCallError } from '../../../src-shared/ipc/index.ts';

export function describeCallError(error: unknown): string {
  if (error instanceof ContractCallError) {
    switch (error.kind) {
      case 'expected':
        return error.message;
      case 'disconnected':
        return 'OpenGateway is not connected to its node right now. Try again in a moment.';
      case 'invalid-input':
        return `That value was not accepted: ${error.message}`;
      case 'forbidden':
      case 'unknown-call':
        return 'This window is not allowed to do that. Restart OpenGateway if it keeps happening.';
      case 'internal':
        return 'Something went wrong inside OpenGateway. Try again; if it keeps happening, restart the app.';
    }
  }
  return 'Something went wrong. Try again in a moment.';
}

// An origin URL comes from a signed catalog, but a message about it must never throw while it is being built:
// the error would replace the one it was meant to report.
import { describe, expect, it } from 'vitest';
import { WeightsOriginMismatchError } from '../../../../src-main/node/weights/errors.ts';

describe('WeightsOriginMismatchError', () => {
  it('names the origin server by its host', () => {
    const error = new WeightsOriginMismatchError('https://models.example:8443/a.gguf', 1_048_576);
    expect(error.message).toBe(
      "models.example:8443 sent bytes at offset 1048576 that are not the catalog's file",
    );
  });

  it('still says what happened when the URL does not parse', () => {
    const error = new WeightsOriginMismatchError('not a url', 0);
    expect(error.message).toBe("the server sent bytes at offset 0 that are not the catalog's file");
    expect(error.url).toBe('not a url');
  });
});

import { ExpectedError } from '../../../../src-shared/errors/expected-error.ts';

/** The API key file exists but does not hold a key we wrote. It is not replaced silently: scripts use it. */
export class ApiKeyFileInvalidError extends ExpectedError {
  override readonly name = 'ApiKeyFileInvalidError';
  constructor(path: string) {
    super(`the API key file ${path} is not valid; delete it to create a new key`);
  }
}

/** The local API port is taken. */
export class ApiPortInUseError extends ExpectedError {
  override readonly name = 'ApiPortInUseError';
  constructor(port: number) {
    super(
      `cannot serve the local API on 127.0.0.1:${port}: the port is already in use (pick another with --api-port)`,
    );
  }
}

/** No running node answers for this data directory (status was asked of a stopped node). */
export class NodeNotRunningError extends ExpectedError {
  override readonly name = 'NodeNotRunningError';
  constructor(dataDir: string, detail: string) {
    super(
      `no running node for data directory ${dataDir} (${detail}); start one with "opengateway-node start"`,
    );
  }
}

/** The server's address was asked before start() or after stop(). */
export class ApiServerNotStartedError extends Error {
  override readonly name = 'ApiServerNotStartedError';
  constructor() {
    super('the local API server is not listening');
  }
}

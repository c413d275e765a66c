// The process-level last resort (security finding 2, issue 18 item 1): every listener and promise on the
// API path handles its own failures, but a bug that slips past them must not take a contributor's node (and
// its in-flight payments) down. A stray rejection or exception is logged with its stack and the node keeps
// serving: each request runs in its own handler, so one broken request leaves no shared state half-done.
// (Running out of memory is not an exception in Node: the process aborts, and the supervisor restarts it.)

export interface LastResortInit {
  readonly log: (line: string) => void;
  readonly process?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/** Installs the handlers; returns what removes them. */
export function installLastResortHandlers(init: LastResortInit): () => void {
  const proc = init.process ?? process;
  const describe = (error: unknown): string =>
    error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  const onRejection = (reason: unknown): void => {
    init.log(`bug: a promise failed and nothing handled it (the node keeps serving): ${describe(reason)}`);
  };
  const onException = (error: unknown): void => {
    init.log(`bug: an exception reached the top of the process (the node keeps serving): ${describe(error)}`);
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}

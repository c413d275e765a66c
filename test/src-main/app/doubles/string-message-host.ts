// A llama host double for the utilityProcess path that posts a string where the node expects bytes, then
// waits: the node must refuse the message, end the link and kill the host.
const port = (process as NodeJS.Process & { parentPort?: { postMessage(message: unknown): void } })
  .parentPort;
if (!port) throw new Error('this double runs as a utility process');
port.postMessage('{"t":"ready"}');
setInterval(() => undefined, 60_000);

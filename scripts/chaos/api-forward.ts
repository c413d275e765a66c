// Runs inside a chaos node's namespace (`ip netns exec`): forwards a Unix socket (a file path, which every
// namespace shares) to the node's local API on that namespace's 127.0.0.1, so the chaos driver on the host
// reaches each node's API without any address outside the namespaces. Usage: api-forward.ts SOCKET PORT
import { connect, createServer } from 'node:net';
import { rmSync } from 'node:fs';

const [socketPath, portText] = process.argv.slice(2);
const port = Number(portText);
if (!socketPath || !Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: api-forward.ts SOCKET PORT\n');
  process.exit(2);
}
rmSync(socketPath, { force: true });
const server = createServer((client) => {
  const upstream = connect({ host: '127.0.0.1', port });
  // A node that is down (killed, restarting) refuses: the client sees its connection close.
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  client.pipe(upstream).pipe(client);
});
server.listen(socketPath, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

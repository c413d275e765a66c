// Every path the node reads or writes, in one place (CONVENTIONS.md §7). Nothing else builds data-dir paths.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The files and folders inside one node's data directory. */
export interface Locations {
  readonly dataDir: string;
  /** The node's Ed25519 key (libp2p protobuf encoding), mode 0600. */
  readonly identityKey: string;
  /** Random per-installation salt for local-only hashes; the network's salt comes from the network config. */
  readonly localSalt: string;
  /** The local API's random key, mode 0600. */
  readonly apiKey: string;
  /** The local API's address, written while a node runs so `status` can find it. */
  readonly apiEndpoint: string;
  /** The last region decision, the offline fallback of the geo service. */
  readonly geoCache: string;
  /** The signed network config this node uses (a copy of the shipped or received one). */
  readonly networkConfig: string;
  /** The ledger's SQLite database. */
  readonly ledgerDb: string;
  /** Settings the user changed (region override, caps). */
  readonly settings: string;
  /** Held (an OS file lock through SQLite) by the one node that runs on this data directory. */
  readonly instanceLock: string;
  /** Per-cluster engine homes (EXO_HOME and logs). */
  readonly enginesDir: string;
  /** The model cache: downloaded model files and their index. */
  readonly modelsDir: string;
  readonly logsDir: string;
}

/** Where an installation keeps its data when no --data-dir or OPENGATEWAY_DATA_DIR is given. */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const explicit = env.OPENGATEWAY_DATA_DIR;
  if (explicit && explicit.trim() !== '') return resolve(explicit);
  switch (platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'OpenGateway');
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'OpenGateway');
    default:
      return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'opengateway');
  }
}

/** The layout of a data directory. Pure: creates nothing. */
export function locationsFor(dataDir: string): Locations {
  const root = resolve(dataDir);
  return {
    dataDir: root,
    identityKey: join(root, 'identity.key'),
    localSalt: join(root, 'local-salt'),
    apiKey: join(root, 'api.key'),
    apiEndpoint: join(root, 'api.json'),
    geoCache: join(root, 'geo-cache.json'),
    networkConfig: join(root, 'network-config.json'),
    ledgerDb: join(root, 'ledger.sqlite'),
    settings: join(root, 'settings.json'),
    instanceLock: join(root, 'node.lock'),
    enginesDir: join(root, 'engines'),
    modelsDir: join(root, 'models'),
    logsDir: join(root, 'logs'),
  };
}

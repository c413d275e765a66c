// Who else can use this machine's EXO (security finding 13). EXO's API has no key, allows every web page
// (CORS `*` with credentials) and listens on all interfaces: hypercorn's bind is hard-coded to
// `0.0.0.0:<--api-port>` in every rewrite generation (src/exo/api/main.py, v1.0.60 … HEAD) and the old exo's
// aiohttp site to host "0.0.0.0", with no flag or variable to change it. EXO also needs it that way: its nodes
// probe each other's API port over the LAN to build the topology placement needs. Firewalling the port needs
// root. So the node cannot close it; it checks, from this machine, whether the API answers on the machine's
// own network addresses and whether it lets a foreign web origin read its answers, and says so.
import { networkInterfaces } from 'node:os';

/** What the check found. */
export interface ExoExposure {
  /** This machine's network addresses at which EXO's API answered (others on the network can use it). */
  readonly reachableAt: readonly string[];
  /** A web page of any origin may read the API's answers (any site you open can use it). */
  readonly anyWebPage: boolean;
}

export interface ExoExposureInit {
  /** The API as this node reaches it (`http://127.0.0.1:52415`). */
  readonly url: string;
  /** This machine's non-loopback addresses; by default from its network interfaces. */
  readonly lanAddresses?: () => readonly string[];
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A foreign origin no real page has: enough to see whether EXO echoes any origin. */
const PROBE_ORIGIN = 'https://exposure-check.opengateway.invalid';

export async function checkExoExposure(init: ExoExposureInit): Promise<ExoExposure> {
  const doFetch = init.fetch ?? fetch;
  const port = new URL(init.url).port || '80';
  const ask = async (url: string, headers: Record<string, string> = {}) => {
    const timeout = AbortSignal.timeout(init.timeoutMs ?? 1_500);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const response = await doFetch(url, { headers, signal, redirect: 'error' });
    await response.body?.cancel().catch(() => {});
    return response;
  };
  const addresses = (init.lanAddresses ?? machineAddresses)().slice(0, 16);
  const answered = await Promise.all(
    addresses.map(async (address) => {
      const host = address.includes(':') ? `[${address}]` : address;
      try {
        return (await ask(`http://${host}:${port}/node_id`)).ok ? address : null;
      } catch {
        return null;
      }
    }),
  );
  let anyWebPage = false;
  try {
    const allowed = (await ask(`${init.url}/node_id`, { origin: PROBE_ORIGIN })).headers.get(
      'access-control-allow-origin',
    );
    anyWebPage = allowed === '*' || allowed === PROBE_ORIGIN;
  } catch (error) {
    if (init.signal?.aborted) throw error;
  }
  return { reachableAt: answered.filter((address) => address !== null), anyWebPage };
}

/** What a contributor reads about it; null when nothing is exposed. */
export function exposureWarning(exposure: ExoExposure, port: string | number): string | null {
  const parts: string[] = [];
  if (exposure.reachableAt.length > 0)
    parts.push(`answers other machines on your network (at ${exposure.reachableAt.slice(0, 3).join(', ')})`);
  if (exposure.anyWebPage) parts.push('lets any web page you open use it');
  if (parts.length === 0) return null;
  return (
    `EXO's API has no key and ${parts.join(' and ')}: they can run models on this computer and change ` +
    `what EXO serves. EXO cannot be told to listen on this computer only; block TCP port ${port} from ` +
    `other machines in your firewall, except those of your own EXO cluster.`
  );
}

/** This machine's own addresses other machines could reach (not loopback; none in local-only mode). */
function machineAddresses(): string[] {
  const out: string[] = [];
  if (process.env.OPENGATEWAY_LOCAL_ONLY === '1') return out;
  for (const entries of Object.values(networkInterfaces()))
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      // A link-local IPv6 address needs its zone to be dialled; skip it rather than guess.
      if (entry.family === 'IPv6' && entry.address.toLowerCase().startsWith('fe80:')) continue;
      out.push(entry.address);
    }
  return out;
}

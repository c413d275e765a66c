// A real UPnP Internet Gateway Device on a lab home's router: Debian's `miniupnpd` (the nftables build,
// package miniupnpd-nftables), run inside the router's namespace only. It answers SSDP M-SEARCH and serves its
// HTTP/SOAP control on the home's LAN interface (never a host interface: the process lives in the namespace
// and `listening_ip` names the LAN device), and installs each port mapping as nftables DNAT + forward rules in
// the router's own tables (`jump` targets the lab's ruleset provides, see nat-lab.ts). The node in the home
// finds it the way it would at home: multicast M-SEARCH, then AddPortMapping / GetExternalIPAddress.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The chains miniupnpd fills, inside the router's `<prefix>_filter` and `<prefix>_nat` tables. */
export const UPNP_CHAINS = {
  forward: 'upnp_forward',
  prerouting: 'upnp_prerouting',
  postrouting: 'upnp_postrouting',
} as const;

/** Why a UPnP home cannot be built here (no nftables build of miniupnpd), or null when it can. */
export function upnpGatewayUnavailableReason(): string | null {
  try {
    const version = execFileSync('miniupnpd', ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (!version.includes('nftables'))
      return 'the UPnP home needs the nftables build of miniupnpd (apt-get install -y miniupnpd-nftables)';
    return null;
  } catch {
    return 'the UPnP home needs miniupnpd (apt-get install -y miniupnpd-nftables)';
  }
}

export interface UpnpGatewayOptions {
  /** Full name of the router's namespace. */
  readonly namespace: string;
  /** The router's WAN device (its address is the external address miniupnpd reports). */
  readonly wanDevice: string;
  /** The router's LAN device: the only place SSDP and the SOAP control are served. */
  readonly lanDevice: string;
  /** The home's subnet (`192.168.4.0/24`): only its hosts may map, and only ports ≥ 1024. */
  readonly lanSubnet: string;
  /** The router's nftables tables (family inet) holding the `UPNP_CHAINS`. */
  readonly filterTable: string;
  readonly natTable: string;
}

/** One running miniupnpd: its log (foreground mode logs every SSDP and SOAP request) and its stop. */
export class LabUpnpGateway {
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #namespace: string;
  readonly #natTable: string;
  #log = '';

  private constructor(child: ChildProcess, dir: string, namespace: string, natTable: string) {
    this.#child = child;
    this.#dir = dir;
    this.#namespace = namespace;
    this.#natTable = natTable;
    const keep = (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-100_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Starts miniupnpd in the router's namespace and waits until its SSDP and HTTP sockets are open. */
  static async start(options: UpnpGatewayOptions): Promise<LabUpnpGateway> {
    const dir = mkdtempSync(join(tmpdir(), 'og-lab-upnp-'));
    const config = join(dir, 'miniupnpd.conf');
    writeFileSync(
      config,
      [
        `ext_ifname=${options.wanDevice}`,
        `listening_ip=${options.lanDevice}`,
        'http_port=0',
        'enable_upnp=yes',
        // UPnP only: the node speaks no NAT-PMP/PCP.
        'enable_natpmp=no',
        // A LAN host may only map ports to itself.
        'secure_mode=yes',
        'system_uptime=yes',
        `uuid=${randomUUID()}`,
        `upnp_table_name=${options.filterTable}`,
        `upnp_nat_table_name=${options.natTable}`,
        `upnp_forward_chain=${UPNP_CHAINS.forward}`,
        `upnp_nat_chain=${UPNP_CHAINS.prerouting}`,
        `upnp_nat_postrouting_chain=${UPNP_CHAINS.postrouting}`,
        `allow 1024-65535 ${options.lanSubnet} 1024-65535`,
        'deny 0-65535 0.0.0.0/0 0-65535',
        '',
      ].join('\n'),
    );
    // -d: in the foreground (stopped with the lab, logs to stderr); -4: the lab has no IPv6; its own pid file,
    // so two labs (or a router elsewhere on the machine) never share /run/miniupnpd.pid.
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        options.namespace,
        'miniupnpd',
        '-f',
        config,
        '-d',
        '-4',
        '-P',
        join(dir, 'miniupnpd.pid'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const gateway = new LabUpnpGateway(child, dir, options.namespace, options.natTable);
    const deadline = Date.now() + 20_000;
    while (!gateway.#log.includes('HTTP listening on port')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await gateway.stop();
        throw new Error(`miniupnpd did not start in ${options.namespace}:\n${gateway.#log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return gateway;
  }

  /** Everything miniupnpd logged so far. */
  log(): string {
    return this.#log;
  }

  /** The DNAT rules miniupnpd has installed in the router's nat table (nft's listing, one rule a line). */
  mappings(): string[] {
    const listing = execFileSync(
      'ip',
      [
        'netns',
        'exec',
        this.#namespace,
        'nft',
        'list',
        'chain',
        'inet',
        this.#natTable,
        UPNP_CHAINS.prerouting,
      ],
      { encoding: 'utf8' },
    );
    return listing
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.includes('dnat'));
  }

  /** Stops miniupnpd (it removes its rules as it goes) and deletes its files. Idempotent. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

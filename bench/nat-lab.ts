// The NAT lab, repeated: N fresh labs (network namespaces, nftables NATs, a public relay; test/lab/nat-lab.ts),
// and in each every ordered pair of homes connects through the relay, exchanges a chat-sized request, then
// waits for the WebRTC hole punch to go direct. Prints the pass rate, the punch-through matrix, the time to a relay
// reservation and to a direct connection, and the relayed exchange against the same exchange with the relay
// node itself (direct TCP through the NAT), measured in the same run. A `upnp` home (a real UPnP IGD on its
// router, lab-upnp-gateway.ts) is instead dialled by peer id alone once its mapping is announced: the row says
// how often the first connection was direct TCP to the mapped port (no relay, no punch). Needs root (and
// miniupnpd-nftables for a `upnp` home).
// Usage: npm run bench:nat-lab -- [--runs 10] [--homes port-preserving,symmetric,upnp] [--direct-wait-ms 10000]
// Last line: one JSON object.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { labUnavailableReason } from '../test/lab/lab-namespaces.ts';
import { upnpGatewayUnavailableReason } from '../test/lab/lab-upnp-gateway.ts';
import {
  connectThroughRelay,
  publicAddresses,
  reachDirectly,
  startNatLab,
  waitForMapping,
  type NatKind,
} from '../test/lab/nat-lab.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    homes: { type: 'string', default: 'port-preserving,symmetric' },
    'direct-wait-ms': { type: 'string', default: '10000' },
    bytes: { type: 'string', default: String(512 * 1024) },
  },
});
const HOMES = values.homes.split(',') as NatKind[];
const unavailable =
  labUnavailableReason() ?? (HOMES.includes('upnp') ? upnpGatewayUnavailableReason() : null);
if (unavailable !== null) {
  console.error(`bench:nat-lab cannot run: ${unavailable}`);
  process.exit(2);
}
const RUNS = Number(values.runs);
const DIRECT_WAIT_MS = Number(values['direct-wait-ms']);
const BYTES = Number(values.bytes);

interface PairStats {
  attempts: number;
  relayed: number;
  direct: number;
  reservationMs: number[];
  directMs: number[];
  directEchoMs: number[];
  relayedEchoMs: number[];
  /** A UPnP listener, dialled by peer id: first connections that were direct TCP, and dial + exchange times. */
  directAtFirstDial: number;
  firstDialMs: number[];
  errors: string[];
}
const pairs = new Map<string, PairStats>();
const baselineMs: number[] = [];
/** From a UPnP home's start until its mapped address was confirmed and announced. */
const mappingMs: number[] = [];
let mappingsMissing = 0;
let behindNat = 0;
let homesSeen = 0;
let runsAllRelayed = 0;

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; ${new Date().toISOString()}`);
console.log(
  `runs ${RUNS}, homes ${HOMES.join(' + ')}, chat ${BYTES} bytes each way, direct wait ${DIRECT_WAIT_MS} ms`,
);
for (let run = 1; run <= RUNS; run += 1) {
  const lab = await startNatLab(HOMES);
  const labReady = Date.now();
  let allRelayed = true;
  try {
    for (const [index, home] of lab.homes.entries()) {
      if (HOMES[index] === 'upnp') {
        // Counted from the moment every node had started (the homes start together).
        if ((await waitForMapping(home, 120_000)) === null) mappingsMissing += 1;
        else mappingMs.push(Date.now() - labReady);
        continue;
      }
      homesSeen += 1;
      if (publicAddresses((await home.status()).addresses).length === 0) behindNat += 1;
    }
    // Baseline: the same exchange with the relay node itself, over the home's own TCP connection to it.
    const baseline = await lab.homes[0]!.echo(lab.relay.peerId, BYTES);
    baselineMs.push(baseline.ms);
    for (let i = 0; i < HOMES.length; i += 1) {
      for (let j = 0; j < HOMES.length; j += 1) {
        if (i === j) continue;
        const key = `${HOMES[j]} → ${HOMES[i]}`;
        const stats = pairs.get(key) ?? {
          attempts: 0,
          relayed: 0,
          direct: 0,
          reservationMs: [],
          directMs: [],
          directEchoMs: [],
          relayedEchoMs: [],
          directAtFirstDial: 0,
          firstDialMs: [],
          errors: [],
        };
        pairs.set(key, stats);
        stats.attempts += 1;
        if (HOMES[i] === 'upnp') {
          const reach = await reachDirectly(lab.homes[i]!, lab.homes[j]!, BYTES);
          if (reach.path === 'direct-tcp' && reach.echo?.received === BYTES) {
            stats.directAtFirstDial += 1;
            stats.firstDialMs.push(reach.echo.ms);
          } else {
            allRelayed = false;
            stats.errors.push(reach.error ?? `first connection ${reach.path}`);
          }
          continue;
        }
        const result = await connectThroughRelay(lab.homes[i]!, lab.homes[j]!, lab.relay.peerId, {
          bytes: BYTES,
          directWaitMs: DIRECT_WAIT_MS,
          reservationWaitMs: 45_000,
        });
        if (result.reservationMs !== null) stats.reservationMs.push(result.reservationMs);
        if (result.relayedEcho?.received === BYTES) {
          stats.relayed += 1;
          stats.relayedEchoMs.push(result.relayedEcho.ms);
        } else {
          allRelayed = false;
          stats.errors.push(result.error ?? 'short answer');
        }
        if (result.directMs !== null && result.directEcho?.received === BYTES) {
          stats.direct += 1;
          stats.directMs.push(result.directMs);
          stats.directEchoMs.push(result.directEcho.ms);
        }
      }
    }
  } finally {
    await lab.destroy();
  }
  if (allRelayed) runsAllRelayed += 1;
  console.log(`run ${run}/${RUNS}: ${allRelayed ? 'every pair served' : 'FAILED'}`);
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]!);
};
console.log(
  '\npair (dialer → listener)            relayed  direct  reservation ms  relayed chat ms  direct after ms',
);
for (const [key, s] of pairs) {
  if (key.endsWith('→ upnp')) {
    // The listener's router mapped its port: no relay, no punch; direct TCP at the first dial (and its time).
    console.log(
      `${key.padEnd(36)} ${'-'.padStart(7)} ${`${s.directAtFirstDial}/${s.attempts}`.padStart(7)} ${'-'.padStart(15)} ${'-'.padStart(16)} ${`first dial ${median(s.firstDialMs)}`.padStart(16)}`,
    );
    if (s.errors.length > 0) console.log(`  errors: ${[...new Set(s.errors)].join('; ')}`);
    continue;
  }
  console.log(
    `${key.padEnd(36)} ${`${s.relayed}/${s.attempts}`.padStart(7)} ${`${s.direct}/${s.attempts}`.padStart(7)} ${String(median(s.reservationMs)).padStart(15)} ${String(median(s.relayedEchoMs)).padStart(16)} ${String(median(s.directMs)).padStart(16)}`,
  );
  if (s.errors.length > 0) console.log(`  errors: ${[...new Set(s.errors)].join('; ')}`);
}
const relayedMedian = median([...pairs.values()].flatMap((s) => s.relayedEchoMs));
const baseMedian = median(baselineMs);
console.log(
  `\nbehind NAT (no public address announced): ${behindNat}/${homesSeen} homes; runs with every pair served: ${runsAllRelayed}/${RUNS}`,
);
if (HOMES.includes('upnp')) {
  console.log(
    `UPnP homes: mapping confirmed and announced ${mappingMs.length}/${mappingMs.length + mappingsMissing} times, median ${median(mappingMs)} ms after the nodes started`,
  );
}
console.log(
  `chat exchange: relayed median ${relayedMedian} ms vs ${baseMedian} ms with the relay node directly (ratio ${relayedMedian !== null && baseMedian ? (relayedMedian / baseMedian).toFixed(2) : '?'})`,
);
console.log(
  JSON.stringify({
    runs: RUNS,
    homes: HOMES,
    runsAllRelayed,
    behindNat,
    homesSeen,
    pairs: Object.fromEntries(
      [...pairs].map(([key, s]) => [
        key,
        {
          attempts: s.attempts,
          relayed: s.relayed,
          direct: s.direct,
          reservationMedianMs: median(s.reservationMs),
          relayedChatMedianMs: median(s.relayedEchoMs),
          directMedianMs: median(s.directMs),
          directChatMedianMs: median(s.directEchoMs),
          directAtFirstDial: s.directAtFirstDial,
          firstDialChatMedianMs: median(s.firstDialMs),
        },
      ]),
    ),
    baselineChatMedianMs: baseMedian,
    upnpMappingsAnnounced: mappingMs.length,
    upnpMappingsMissing: mappingsMissing,
    upnpMappingMedianMs: median(mappingMs),
  }),
);

// The NAT lab's UPnP home (issue 15): home 3's router runs a real UPnP IGD (miniupnpd, in the router's
// namespace, serving the home's LAN only). The node in that home must find it the way a node at home does
// (SSDP M-SEARCH on its LAN), map its listen port (SOAP AddAnyPortMapping; miniupnpd installs the DNAT rule in
// the router's nftables), have AutoNAT confirm the mapped address and announce it — and then be reached by the
// nodes in the other homes directly, over TCP to that address: no relay, no hole punch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason } from './lab-namespaces.ts';
import { upnpGatewayUnavailableReason } from './lab-upnp-gateway.ts';
import { homeLanIp, poll, publicAddresses, routerWanIp, startNatLab, type NatLab } from './nat-lab.ts';

const unavailable = labUnavailableReason() ?? upnpGatewayUnavailableReason();
if (unavailable !== null) console.warn(`NAT lab (UPnP home) skipped: ${unavailable}`);

/** A chat's worth of bytes each way, well past libp2p's default relay limit (128 KiB). */
const CHAT_BYTES = 512 * 1024;
const UPNP_HOME = 3;
const MAPPED = `/ip4/${routerWanIp(UPNP_HOME)}/tcp/4001`;

describe.skipIf(unavailable !== null)(
  `NAT lab: a home whose router speaks UPnP${unavailable === null ? '' : ` (skipped: ${unavailable})`}`,
  { timeout: 240_000 },
  () => {
    let lab: NatLab;
    beforeAll(async () => {
      lab = await startNatLab(['port-preserving', 'symmetric', 'upnp']);
    }, 150_000);
    afterAll(async () => {
      await lab?.destroy();
    });

    it('finds the router by SSDP, maps its port, and announces the mapping once AutoNAT confirmed it', async () => {
      const home = lab.homes[UPNP_HOME - 1]!;
      const gateway = lab.gateways[UPNP_HOME - 1]!;
      const announced = await poll(async () => {
        const addresses = publicAddresses((await home.status()).addresses);
        return addresses.some((address) => address.startsWith(`${MAPPED}/p2p/`)) ? addresses : null;
      }, 120_000);
      if (announced === null)
        throw new Error(`no mapped address announced:\n${gateway.log().slice(-4000)}\n${home.stderr()}`);
      // Only the mapping: not the home's LAN address, nor a guess from what peers observed.
      expect(announced.map((address) => address.split('/p2p/')[0])).toEqual([MAPPED]);
      expect((await home.status()).upnpAddress).toBe(routerWanIp(UPNP_HOME));
      // The router's side: the search came from the home over its LAN, and the DNAT rule is the router's own.
      const log = gateway.log();
      expect(log).toContain(`SSDP M-SEARCH from ${homeLanIp(UPNP_HOME)}:`);
      expect(log).toMatch(/SOAPAction: urn:schemas-upnp-org:service:WANIPConnection:\d#Add(Any)?PortMapping/);
      // (nft prints miniupnpd's "TCP" match as a raw header match, `@nh,72,8 0x6`.)
      expect(gateway.mappings()).toEqual([
        expect.stringMatching(
          new RegExp(
            `^iif "${lab.namespaces.prefix}w${UPNP_HOME}b" .*dport 4001 dnat ip to ${homeLanIp(UPNP_HOME)}:4001$`,
          ),
        ),
      ]);
      // The plain port-keeping home, with no UPnP, still announces nothing public.
      expect(publicAddresses((await lab.homes[0]!.status()).addresses)).toEqual([]);
    });

    it.each([
      ['the port-keeping home', 0],
      ['the symmetric home', 1],
    ])(
      '%s reaches it by peer id, directly over TCP to the mapped port: no relay, no punch',
      async (_, index) => {
        const home = lab.homes[UPNP_HOME - 1]!;
        const dialer = lab.homes[index]!;
        await poll(
          async () => publicAddresses((await home.status()).addresses).some((a) => a.startsWith(MAPPED)),
          120_000,
        );
        // A fresh start: whatever connected these two before (a relayed circuit, a punched one) is closed.
        await dialer.hangUp(home.peerId);
        await home.hangUp(dialer.peerId);
        const echo = await dialer.echo(home.peerId, CHAT_BYTES);
        expect(echo).toMatchObject({ received: CHAT_BYTES, relayed: false });
        const connections = (await dialer.status()).connections.filter((c) => c.peer === home.peerId);
        expect(connections).toEqual([
          expect.objectContaining({
            remoteAddr: `${MAPPED}/p2p/${home.peerId}`,
            relayed: false,
            webrtc: false,
            direction: 'outbound',
            status: 'open',
          }),
        ]);
        // No hole punch was tried: the connection was direct from the start.
        expect((await dialer.status()).upgrades.filter((u) => u.peer === home.peerId)).toEqual([]);
      },
    );
  },
);

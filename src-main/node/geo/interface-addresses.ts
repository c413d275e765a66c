import { networkInterfaces } from 'node:os';

const VPN_INTERFACE = /^(tun|tap|wg|utun|ppp|ipsec|nordlynx|proton|wireguard|tap-windows)/i;

/** Every address on the machine's network interfaces (the decision keeps only public ones). */
export function readInterfaceAddresses(): { addresses: string[]; vpnInterface: boolean } {
  const addresses: string[] = [];
  let vpnInterface = false;
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      addresses.push(entry.address);
      if (VPN_INTERFACE.test(name) && entry.family === 'IPv4') vpnInterface = true;
    }
  }
  return { addresses, vpnInterface };
}

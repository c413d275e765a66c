// A stand-in for a home router's UPnP Internet Gateway Device (IGD v2) on 127.0.0.1: the device descriptor and
// the WANIPConnection:2 SOAP actions libp2p's UPnP client uses. A real gateway cannot run here; everything
// on our side of it (libp2p, its UPnP client, HTTP, XML) is the real thing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const WAN_IP_CONNECTION = 'urn:schemas-upnp-org:service:WANIPConnection:2';

export interface GatewayStandIn {
  /** The descriptor URL to give libp2p as a static gateway. */
  readonly descriptorUrl: string;
  /** What the next GetExternalIPAddress answers (any text: routers send garbage too). */
  externalAddress: string;
  /** GetExternalIPAddress requests answered so far. */
  readonly externalAddressQueries: number;
  close(): Promise<void>;
}

export async function startGatewayStandIn(externalAddress: string): Promise<GatewayStandIn> {
  let queries = 0;
  const state = { externalAddress };
  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const action = /#(\w+)"?$/.exec(String(request.headers.soapaction ?? ''))?.[1];
    if (request.method === 'GET' && request.url === '/rootDesc.xml') {
      return reply(response, 200, descriptor());
    }
    if (request.method === 'POST' && request.url === '/ctl/IPConn') {
      if (action === 'GetExternalIPAddress') {
        queries += 1;
        const answer = `<NewExternalIPAddress>${state.externalAddress}</NewExternalIPAddress>`;
        return reply(response, 200, soap(answer, action));
      }
      if (action === 'AddAnyPortMapping')
        return reply(response, 200, soap('<NewReservedPort>40001</NewReservedPort>', action));
      if (action === 'DeletePortMapping') return reply(response, 200, soap('', action));
    }
    reply(response, 404, '<?xml version="1.0"?><error/>');
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    descriptorUrl: `http://127.0.0.1:${port}/rootDesc.xml`,
    get externalAddress() {
      return state.externalAddress;
    },
    set externalAddress(value: string) {
      state.externalAddress = value;
    },
    get externalAddressQueries() {
      return queries;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'Content-Type': 'text/xml; charset="utf-8"' });
  response.end(body);
}

function soap(inner: string, action: string): string {
  return `<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
  <s:Body><u:${action}Response xmlns:u="${WAN_IP_CONNECTION}">${inner}</u:${action}Response></s:Body>
</s:Envelope>`;
}

function descriptor(): string {
  return `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType>
    <friendlyName>stand-in router</friendlyName>
    <UDN>uuid:00000000-0000-4000-8000-000000000001</UDN>
    <deviceList>
      <device>
        <deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType>
        <UDN>uuid:00000000-0000-4000-8000-000000000002</UDN>
        <deviceList>
          <device>
            <deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType>
            <UDN>uuid:00000000-0000-4000-8000-000000000003</UDN>
            <serviceList>
              <service>
                <serviceType>${WAN_IP_CONNECTION}</serviceType>
                <serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
                <controlURL>/ctl/IPConn</controlURL>
                <eventSubURL>/evt/IPConn</eventSubURL>
                <SCPDURL>/WANIPCn.xml</SCPDURL>
              </service>
            </serviceList>
          </device>
        </deviceList>
      </device>
    </deviceList>
  </device>
</root>`;
}

// The transport conformance suite (@gotalk/test-kit) over every transport of @gotalk/node.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, connectedPeers, listen, type ConnectOptions, type Peer, type PeerOptions, type ServerOptions } from '@gotalk/node';
import { describeTransport, type ConnectedPair } from '@gotalk/test-kit';
import { clientTls, serverTls } from './support.ts';

async function serverPair(
  address: string,
  peer: PeerOptions,
  serverOptions: ServerOptions = {},
  connectOptions: ConnectOptions = {},
  after: () => Promise<void> = async () => {},
): Promise<ConnectedPair> {
  const server = await listen(address, { ws: { bundle: null }, ...serverOptions, ...peer });
  const accepted = new Promise<Peer>((resolve) => server.once('connection', resolve));
  let client: Peer;
  try {
    client = await connect(server.addresses[0]!, { ...connectOptions, ...peer });
  } catch (err) {
    await server.close();
    await after();
    throw err;
  }
  const serverPeer = await accepted;
  return {
    client,
    serverPeer,
    handlers: server.handlers,
    async teardown() {
      client.destroy();
      for (const p of server.peers) p.destroy();
      await server.close();
      await after();
    },
  };
}

describeTransport('memory', async (options) => {
  const [client, serverPeer] = connectedPeers(options, options);
  await Promise.all([client.ready, serverPeer.ready]);
  return {
    client,
    serverPeer,
    handlers: serverPeer.handlers,
    async teardown() {
      client.destroy();
      serverPeer.destroy();
    },
  };
});

describeTransport('tcp', (options) => serverPair('tcp://127.0.0.1:0', options));

describeTransport('tls', (options) => serverPair('tls://127.0.0.1:0', options, { tls: serverTls }, { tls: clientTls }));

describeTransport('unix', async (options) => {
  const dir = await mkdtemp(join(tmpdir(), 'gtk-'));
  return serverPair(`unix:${join(dir, 'conf.sock')}`, options, {}, {}, () => rm(dir, { recursive: true, force: true }));
});

describeTransport('ws', (options) => serverPair('ws://127.0.0.1:0/gotalk/', options));

describeTransport('wss', (options) => serverPair('wss://127.0.0.1:0/gotalk/', options, { tls: serverTls }, { tls: clientTls }));

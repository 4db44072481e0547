// The transport conformance suite (@gotalk/test-kit) over the browser's WebSocketTransport, on
// `ws`'s WebSocket in Node (as the client tests run it), against a @gotalk/node server.
import { WebSocket } from 'ws';
import { listen, type Peer as ServerPeer } from '@gotalk/node';
import { Peer, WebSocketTransport, type PeerOptions } from '@gotalk/browser';
import { describeTransport, type ConnectedPair } from '@gotalk/test-kit';

/** A browser-side peer on a WebSocketTransport, connected to a server's peer over ws://. */
async function browserPair(options: PeerOptions): Promise<ConnectedPair> {
  const server = await listen('ws://127.0.0.1:0/gotalk/', { ws: { bundle: null }, ...options });
  const accepted = new Promise<ServerPeer>((resolve) => server.once('connection', resolve));
  const url = server.addresses[0]!;
  const socket = new WebSocket(url);
  // The peer is made in the open event itself, as the browser client does: `ws` delivers the
  // first messages (the server's version) right after it, before a promise continuation runs.
  let client: Peer;
  try {
    client = await new Promise<Peer>((resolve, reject) => {
      socket.once('open', () => resolve(new Peer(new WebSocketTransport(socket, { kind: 'ws', remote: url }), options)));
      socket.once('error', reject);
    });
  } catch (err) {
    await server.close();
    throw err;
  }
  const [serverPeer] = await Promise.all([accepted, client.ready]);
  return {
    client,
    serverPeer,
    handlers: server.handlers,
    async teardown() {
      client.destroy();
      for (const p of server.peers) p.destroy();
      await server.close();
    },
  };
}

describeTransport('browser WebSocketTransport (ws)', browserPair);

import type { Peer } from '@gotalk/node';
import type { Socket } from 'node:net';
import { openSocket } from '../clients/raw-net.ts';
import { gotalkNode } from '../gotalk-node.ts';

/** Idle connections held open by a client process, for the server's heap measurement. */
export class IdleConnections {
  private peers: Peer[] = [];
  private sockets: Socket[] = [];

  constructor(
    private readonly kind: 'gotalk' | 'raw',
    private readonly address: string,
  ) {}

  /** Opens `n` more connections, `batch` at a time (the listen backlog is finite). */
  async open(n: number, batch = 50): Promise<void> {
    for (let done = 0; done < n; done += batch) {
      const count = Math.min(batch, n - done);
      const opening = Array.from({ length: count }, () => this.openOne());
      await Promise.all(opening);
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.peers.map((p) => p.close()));
    for (const s of this.sockets) s.destroy();
    this.peers = [];
    this.sockets = [];
  }

  private async openOne(): Promise<void> {
    if (this.kind === 'gotalk') this.peers.push(await (await gotalkNode()).connect(this.address));
    else {
      const socket = await openSocket(this.address);
      socket.on('error', () => {});
      this.sockets.push(socket);
    }
  }
}

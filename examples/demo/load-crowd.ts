// The strangers of the demo's load check (load.ts): idle connections and pages that stop reading,
// spoken at the byte level (raw-ws.ts) so that each sends exactly what it is meant to and no more.
import { helloFrames, stopAfterHello, tcpSocket, upgrade, wsFrame } from './raw-ws.ts';

/** What the crowd reports, about once a second. */
export interface CrowdReport {
  /** Idle connections open now. */
  readonly idleOpen: number;
  /** Idle connections opened so far (the server's closes are made good). */
  readonly idleOpened: number;
  /** Idle connections the server closed. */
  readonly idleClosed: number;
  /** Pages that said hello, were answered, and then stopped reading. */
  readonly stalledGreeted: number;
}

/** Where the crowd goes and how big it is. */
export interface CrowdOptions {
  /** The demo's WebSocket endpoint, `ws://host:port/path`. */
  readonly ws: string;
  /** The demo's TCP address, `host:port`. */
  readonly tcp: string;
  readonly idle: number;
  readonly stalled: number;
  /** Idle connections read nothing either. */
  readonly unread: boolean;
  readonly report: (r: CrowdReport) => void;
}

/** Opens the crowd and keeps it at its size until the process is ended. */
export async function runCrowd(o: CrowdOptions): Promise<never> {
  const ws = new URL(o.ws);
  const [tcpHost, tcpPort] = [o.tcp.slice(0, o.tcp.lastIndexOf(':')), Number(o.tcp.slice(o.tcp.lastIndexOf(':') + 1))];
  const counts = { idleOpen: 0, idleOpened: 0, idleClosed: 0, stalledGreeted: 0 };
  const kinds = ['ws-silent', 'ws-version', 'tcp-silent', 'tcp-version'] as const;

  const openIdle = async (kind: (typeof kinds)[number]): Promise<void> => {
    const socket = kind.startsWith('ws') ? await upgrade(ws) : await tcpSocket(tcpHost, tcpPort);
    if (!socket) return void setTimeout(() => void openIdle(kind), 200);
    if (kind === 'ws-version') socket.write(wsFrame(Buffer.from('01')));
    if (kind === 'tcp-version') socket.write('01');
    // What the server sends is read and dropped (so that its closes are seen and made good), or
    // with `unread` not read at all (then a close by the server goes unnoticed).
    if (!o.unread) socket.on('data', () => {}).resume();
    counts.idleOpen++;
    counts.idleOpened++;
    socket.once('close', () => {
      counts.idleOpen--;
      counts.idleClosed++;
      setTimeout(() => void openIdle(kind), 200);
    });
  };

  const openStalled = async (i: number): Promise<void> => {
    const socket = await upgrade(ws);
    if (!socket) return;
    socket.write(wsFrame(helloFrames(`stalled-${i}`)));
    if (await stopAfterHello(socket)) counts.stalledGreeted++;
  };

  setInterval(() => o.report({ ...counts }), 1000);
  // A burst: up to 100 connections being opened at any moment.
  const queue: (() => Promise<void>)[] = [];
  for (let i = 0; i < o.idle; i++) queue.push(() => openIdle(kinds[i % kinds.length]!));
  for (let i = 0; i < o.stalled; i++) queue.push(() => openStalled(i));
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }),
  );
  return new Promise<never>(() => {});
}

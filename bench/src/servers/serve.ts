import { exitWithParent, tell, type Message } from '../procs.ts';

/** What a benchmark server reports once listening. */
export interface Listening {
  /** Address of each transport it serves, keyed by name (`tcp`, `unix`, `ws`, `tcpPipe`…). */
  readonly addresses: Record<string, string>;
  /** Connections open now. */
  connections(): number;
}

/** Heap figures after a full collection (the process runs with --expose-gc). */
export function heapAfterGc(): { heapUsed: number; external: number; arrayBuffers: number } {
  for (let i = 0; i < 4; i++) globalThis.gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/**
 * Runs a server in this child process: starts it, reports its addresses, answers the runner's
 * `heap` and `count` questions, and exits with the runner.
 */
export function serve(start: (dir: string) => Promise<Listening>): void {
  exitWithParent();
  const dir = process.argv[2] ?? '/tmp';
  start(dir).then(
    (server) => {
      process.on('message', (m: Message) => {
        if (m.type === 'heap') void tell({ type: 'heap', ...heapAfterGc(), connections: server.connections() });
        else if (m.type === 'count') void tell({ type: 'count', connections: server.connections() });
      });
      void tell({ type: 'ready', addresses: server.addresses });
    },
    (err: Error) => {
      void tell({ type: 'error', message: err.message }).then(() => process.exit(1));
    },
  );
}

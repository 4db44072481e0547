// A worker of the example: serves `crunch` (CPU-bound: about 5 ms for 1.5 million rounds) and
// tells the coordinator of each job it completed with a `done` notification, sent just before
// the result (the coordinator counts completions: a job completed twice would show). The same
// program runs as a worker thread or a child process the coordinator spawned (connectToParent),
// or on its own, dialling a coordinator (on another machine, say):
//
//   npx tsx examples/workers/worker.ts --connect tcp://127.0.0.1:7001
//
// Heartbeats every second keep the load it reports fresh for the coordinator's choice.
import { connectClient, connectToParent, type HandlerContext, type Handlers, type PeerOptions } from '@gotalk/node';
import { crunch } from './crunch.ts';

/** What the worker serves. */
function serve(handlers: Handlers): void {
  handlers.handle('crunch', (value: unknown, ctx: HandlerContext) => {
    const { id, rounds } = value as { id: number; rounds: number };
    const result = crunch(rounds, id);
    if (ctx.signal.aborted) throw new Error('cancelled'); // the coordinator gave up meanwhile
    ctx.peer.notify('done', id);
    return { id, result };
  });
}

const options: PeerOptions = { heartbeatInterval: 1000 };
const at = process.argv.indexOf('--connect');

if (at < 0) {
  // Spawned: serve the parent until it closes the connection; then nothing keeps this worker running.
  const parent = await connectToParent(options);
  serve(parent.handlers);
} else {
  const address = process.argv[at + 1];
  if (!address) {
    console.error('usage: worker.ts --connect <address of the coordinator>');
    process.exit(2);
  }
  // A remote worker keeps dialling: it rejoins when the coordinator comes back.
  const client = connectClient(address, { ...options, reconnect: { minDelay: 100, maxDelay: 2000 } });
  serve(client.handlers);
  const stop = () => void client.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

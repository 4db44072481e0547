// The Gotalk worker of `pnpm bench:pool`, as a thread or a child process: `echo` answers its
// bytes, `crunch` runs the CPU-bound job of examples/workers (about 5 ms for 1.5 million rounds).
import { connectToParent } from '@gotalk/node';
import { crunch } from '../../examples/workers/crunch.ts';

const peer = await connectToParent({ heartbeatInterval: 1000 });
peer.handlers
  .handleBytes('echo', (payload) => payload)
  .handle('crunch', (value) => {
    const { id, rounds } = value as { id: number; rounds: number };
    return crunch(rounds, id);
  });

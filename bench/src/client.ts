// A client process: runs the runner's commands (echo, stream, connect) one at a time and answers
// each over IPC, or holds idle connections for the heap measurement.
import { IdleConnections } from './cases/idle.ts';
import { connects } from './cases/connect.ts';
import { runEcho } from './cases/echo.ts';
import { gotalkStream, grpcStream, rawStream } from './cases/stream.ts';
import type { EchoClient } from './clients/client.ts';
import { openClient } from './clients/index.ts';
import type { Command, Job } from './jobs.ts';
import { exitWithParent, nextFromParent, tell } from './procs.ts';

function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
}

const STREAMS = { raw: rawStream, gotalk: gotalkStream, grpc: grpcStream };

async function execute(c: Command, echo: { client: EchoClient | null }): Promise<unknown> {
  switch (c.type) {
    case 'open':
      echo.client = await openClient(c.impl, c.transport, c.address);
      // Warm the code paths (JIT) once per process, so that the first case is not the one paying.
      await runEcho(echo.client, 32, 64, 0, c.warmupMs);
      return null;
    case 'echo':
      if (!echo.client) throw new Error('no echo connection');
      return runEcho(echo.client, c.size, c.inflight, c.warmupMs, c.timeMs);
    case 'stream':
      return STREAMS[c.impl](c.address, c.warmupMs, c.timeMs);
    case 'connect':
      return connects(c.case, c.impl, c.address, c.warmupMs, c.timeMs, c.max);
  }
}

async function commands(): Promise<never> {
  const echo: { client: EchoClient | null } = { client: null };
  await tell({ type: 'ready' });
  for (;;) {
    const c = (await nextFromParent()) as unknown as Command;
    try {
      await tell({ type: 'result', result: await execute(c, echo) });
    } catch (err) {
      await tell({ type: 'failed', message: reason(err) });
    }
  }
}

async function idle(job: Extract<Job, { kind: 'idle' }>): Promise<void> {
  const conns = new IdleConnections(job.impl, job.address);
  await conns.open(job.warm);
  await conns.closeAll();
  await tell({ type: 'warmed' });
  await nextFromParent();
  await conns.open(job.count);
  await tell({ type: 'opened' });
  await nextFromParent();
  await conns.closeAll();
  await tell({ type: 'closed' });
}

exitWithParent();
const job = JSON.parse(process.argv[2] ?? '{}') as Job;
(job.kind === 'idle' ? idle(job) : commands()).then(
  () => tell({ type: 'done' }).then(() => process.exit(0)),
  (err) => tell({ type: 'error', message: reason(err) }).then(() => process.exit(1)),
);

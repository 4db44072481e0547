// A client process: runs one job against a server process and reports each result over IPC.
import { IdleConnections } from './cases/idle.ts';
import { gotalkConnects, rawConnects } from './cases/connect.ts';
import { runEcho } from './cases/echo.ts';
import { gotalkStream, rawStream } from './cases/stream.ts';
import { openClient } from './clients/index.ts';
import type { Job } from './jobs.ts';
import { exitWithParent, nextFromParent, tell } from './procs.ts';

function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 120);
}

async function run(job: Job): Promise<void> {
  switch (job.kind) {
    case 'echo': {
      let client;
      try {
        client = await openClient(job.impl, job.transport, job.address);
      } catch (err) {
        for (const c of job.cases) await tell({ type: 'failed', id: c.id, message: `cannot connect: ${reason(err)}` });
        return;
      }
      // Warm the code paths (JIT) once per process, so that the first case is not the one paying.
      try {
        await runEcho(client, 32, 64, 0, job.warmupMs);
      } catch (err) {
        for (const c of job.cases) await tell({ type: 'failed', id: c.id, message: reason(err) });
        await client.close().catch(() => {});
        return;
      }
      for (const c of job.cases) {
        try {
          await tell({ type: 'result', id: c.id, result: await runEcho(client, c.size, c.inflight, job.warmupMs, job.timeMs) });
        } catch (err) {
          await tell({ type: 'failed', id: c.id, message: reason(err) });
        }
      }
      await client.close().catch(() => {});
      return;
    }
    case 'stream': {
      const fn = job.impl === 'gotalk' ? gotalkStream : rawStream;
      await tell({ type: 'result', id: job.id, result: await fn(job.address, job.warmupMs, job.timeMs) });
      return;
    }
    case 'connect': {
      const fn = job.impl === 'gotalk' ? gotalkConnects : rawConnects;
      await tell({ type: 'result', id: job.id, result: await fn(job.address, job.warmupMs, job.timeMs, job.max) });
      return;
    }
    case 'idle': {
      const idle = new IdleConnections(job.impl, job.address);
      await idle.open(job.warm);
      await idle.closeAll();
      await tell({ type: 'warmed' });
      await nextFromParent();
      await idle.open(job.count);
      await tell({ type: 'opened' });
      await nextFromParent();
      await idle.closeAll();
      await tell({ type: 'closed' });
      return;
    }
  }
}

exitWithParent();
const job = JSON.parse(process.argv[2] ?? '{}') as Job;
run(job).then(
  () => tell({ type: 'done' }).then(() => process.exit(0)),
  (err) => tell({ type: 'error', message: reason(err) }).then(() => process.exit(1)),
);

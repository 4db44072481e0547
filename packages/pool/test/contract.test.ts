// A contract proxy over a pool: the same createProxy as over a peer, its calls spread over the
// members, each implementing the contract.
import { expect, test } from 'vitest';
import { z } from 'zod';
import { createProxy, defineContract, notification, operation, streamOperation } from '@gotalk/peer';
import { Pool } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';
import { addWorker, usePools } from './support.ts';

const { pools, workers } = usePools(100);

const jobs = defineContract({
  square: operation({ input: z.number(), output: z.object({ by: z.string(), value: z.number() }) }),
  digits: streamOperation({ input: z.number().int(), output: z.number() }),
  reset: notification(z.null()),
});

test('operations, streams and notifications of a contract run on the members of a pool', async () => {
  const pool = new Pool();
  pools.push(pool);
  const resets: string[] = [];
  for (const name of ['w1', 'w2']) {
    const w = await addWorker(pool, name);
    workers.push(w);
    w.worker.handlers.implement(jobs, {
      square: (n) => ({ by: name, value: n * n }),
      digits: async function* (inputs) {
        for await (const n of inputs) for (const d of String(n)) yield Number(d);
      },
      reset: () => void resets.push(name),
    });
  }
  const api = createProxy(pool, jobs);
  const answers = await Promise.all([1, 2, 3, 4].map((n) => api.square(n, { timeout: 5_000 })));
  expect(answers.map((a) => a.value)).toEqual([1, 4, 9, 16]);
  const digits: number[] = [];
  for await (const d of api.digits([907])) digits.push(d);
  expect(digits).toEqual([9, 0, 7]);
  await api.reset(null);
  await waitFor(() => resets.length === 2, 'the notification on every member');
  expect(resets.sort()).toEqual(['w1', 'w2']);
});

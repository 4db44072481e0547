// The pool's calling surface end to end over in-memory workers: JSON, bytes, typed calls and
// streams go to members and come back; notifications reach every member.
import { expect, test } from 'vitest';
import { z } from 'zod';
import { defineOperation, defineStreamOperation, toJson } from '@gotalk/peer';
import { Pool } from '@gotalk/pool';
import { waitFor } from '@gotalk/test-kit';
import { addWorker, usePools } from './support.ts';

const { pools, workers } = usePools(100);

function pool(options: ConstructorParameters<typeof Pool>[0] = {}): Pool {
  const p = new Pool(options);
  pools.push(p);
  return p;
}

test('request, requestBytes, call and stream run on a member and resolve with its answer', async () => {
  const p = pool();
  const w = await addWorker(p, 'w1');
  workers.push(w);
  const square = defineOperation('square', { input: z.number(), output: z.number() });
  w.worker.handlers.implement(square, (n) => n * n);
  w.worker.handlers.handleStream('count', async function* (parts) {
    for await (const part of parts) for (let i = 0; i < part[0]!; i++) yield Uint8Array.of(i);
  });
  const doubles = defineStreamOperation('doubles', { input: z.number(), output: z.number() });
  w.worker.handlers.implement(doubles, async function* (inputs) {
    for await (const n of inputs) yield n * 2;
  });

  expect(await p.request('work', 7)).toEqual({ worker: 'w1', value: 7 });
  expect(await p.requestBytes('echo', toJson('x'))).toEqual(toJson('x'));
  expect(await p.call(square, 12)).toBe(144);
  const parts: number[] = [];
  for await (const part of p.stream('count', Uint8Array.of(4))) parts.push(part[0]!);
  expect(parts).toEqual([0, 1, 2, 3]);
  expect(await p.stream('count', Uint8Array.of(3)).collect()).toEqual(Uint8Array.of(0, 1, 2));
  const out: number[] = [];
  for await (const n of p.callStream(doubles, [1, 2, 3])) out.push(n);
  expect(out).toEqual([2, 4, 6]);
  expect(p.counts()).toEqual({ queued: 0, running: 0, retrying: 0, total: 0 });
  expect(p.figures().completed).toBe(6);
});

test('notify reaches every member', async () => {
  const p = pool();
  const ws = [await addWorker(p, 'a'), await addWorker(p, 'b'), await addWorker(p, 'c')];
  workers.push(...ws);
  const got: string[] = [];
  for (const w of ws) w.worker.handlers.onNotification('hello', (value) => void got.push(`${w.name}:${String(value)}`));
  p.notify('hello', 'all');
  await waitFor(() => got.length === 3);
  expect(got.sort()).toEqual(['a:all', 'b:all', 'c:all']);
});

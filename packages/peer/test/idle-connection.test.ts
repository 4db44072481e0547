// What an idle connection shares with the others until it does something: the empty tables of
// its outgoing requests and of the requests it serves, and its header buffer. Sharing must never
// let one connection's requests show in another's.
import { expect, test } from 'vitest';
import { pairsEndedAfterEach } from './helpers.ts';

const pair = pairsEndedAfterEach();

test("one peer's requests in flight, made and served, never show in an idle peer's", async () => {
  const [a, b] = pair();
  const [c, d] = pair();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  b.handlers.handle('slow', () => held.then(() => 'done'));
  const pending = a.request('slow');
  await new Promise((r) => setTimeout(r, 20));
  expect(a.inFlight).toBe(1); // awaiting its reply
  expect(b.inFlight).toBe(1); // serving it
  expect(c.inFlight).toBe(0);
  expect(d.inFlight).toBe(0);
  // The idle pair still works, each with its own tables.
  d.handlers.handle('echo', (v) => v);
  expect(await c.request('echo', 7)).toBe(7);
  release();
  expect(await pending).toBe('done');
  expect(a.inFlight + b.inFlight + c.inFlight + d.inFlight).toBe(0);
});

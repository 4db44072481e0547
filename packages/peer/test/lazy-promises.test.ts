// A connection's `ready` and `closed` are made when first read, and `onClose` tells one function
// about every connection that ends. Read early or late, they say the same thing.
import { expect, test } from 'vitest';
import { ClosedError, GotalkError, type CloseInfo, type Connection } from '@gotalk/peer';
import { pairsEndedAfterEach } from './helpers.ts';

const pair = pairsEndedAfterEach();

const tick = () => new Promise((r) => setTimeout(r, 10));

test('ready read after the handshake is resolved, and is the same promise each time', async () => {
  const [a, b] = pair();
  b.handlers.handle('echo', (v) => v);
  expect(await a.request('echo', 1)).toBe(1); // the handshake is long done
  const ready = a.ready;
  expect(a.ready).toBe(ready);
  await expect(ready).resolves.toBeUndefined();
});

test('ready read before the handshake resolves when it completes', async () => {
  const [a] = pair();
  const ready = a.ready;
  await expect(ready).resolves.toBeUndefined();
  expect(a.ready).toBe(ready);
});

test('ready read only after an end before the handshake rejects with what it would have', async () => {
  const early = pair();
  early[0].destroy(); // before the other side's version can arrive
  await tick();
  await expect(early[0].ready).rejects.toBeInstanceOf(ClosedError);

  const custom = new GotalkError('CONNECT_FAILED', 'no handshake');
  const [a] = pair({ handshakeError: () => custom });
  a.destroy();
  await tick();
  const late = a.ready;
  await expect(late).rejects.toBe(custom);
  expect(a.ready).toBe(late);
});

test('ready read before an end before the handshake rejects too', async () => {
  const [a] = pair();
  const ready = a.ready;
  a.destroy();
  await expect(ready).rejects.toBeInstanceOf(ClosedError);
});

test('closed read after the end resolves with the same info as read before it', async () => {
  const [a, b] = pair();
  const before = b.closed;
  await a.close();
  const infoBefore = await before;
  const [c, d] = pair();
  await c.close();
  await tick();
  const after = d.closed; // read only now
  expect(d.closed).toBe(after);
  const infoAfter = await after;
  expect(infoAfter).toEqual(infoBefore);
  expect(infoAfter.reason).toBe('remote');
});

test('onClose is called once per connection, with it and its close info, before what awaits closed', async () => {
  const calls: [Connection, CloseInfo][] = [];
  const order: string[] = [];
  const onClose = (connection: Connection, info: CloseInfo) => {
    calls.push([connection, info]);
    order.push('onClose');
  };
  const [a, b] = pair({ onClose }, { onClose });
  const awaiting = b.closed.then(() => order.push('closed'));
  await a.close();
  await awaiting;
  await tick();
  expect(calls.map(([c]) => c)).toEqual(expect.arrayContaining([a, b]));
  expect(calls).toHaveLength(2);
  expect(calls.find(([c]) => c === b)![1]).toBe(await b.closed);
  expect(order.indexOf('onClose')).toBeLessThan(order.indexOf('closed'));
  b.destroy(); // ended already: nothing more
  await tick();
  expect(calls).toHaveLength(2);
});

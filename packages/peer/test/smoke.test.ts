import { test, expect } from 'vitest';
import { connectedPeers, defineOperation, RemoteError } from '@gotalk/peer';
import { z } from 'zod';
test('smoke', async () => {
  const [a, b] = connectedPeers();
  b.handlers.handle('echo', (v) => v);
  b.handlers.handle('boom', () => {
    throw new Error('kaput');
  });
  b.handlers.handleStream('upper', async function* (parts) {
    for await (const p of parts) yield new TextEncoder().encode(new TextDecoder().decode(p).toUpperCase());
  });
  const greet = defineOperation('greet', { input: z.object({ name: z.string() }), output: z.object({ greeting: z.string() }) });
  b.handlers.implement(greet, ({ name }) => ({ greeting: `Hello ${name}` }));
  a.handlers.handle('whoami', () => 'a');
  b.handlers.handle('callback', async (_v, ctx) => ctx.peer.request('whoami'));
  expect(await a.request('echo', { x: 1 })).toEqual({ x: 1 });
  await expect(a.request('boom')).rejects.toBeInstanceOf(RemoteError);
  await expect(a.request('nope')).rejects.toThrow('unknown operation "nope"');
  expect(await a.call(greet, { name: 'Ann' })).toEqual({ greeting: 'Hello Ann' });
  await expect(a.request('greet', { name: 3 })).rejects.toThrow(/name/);
  expect(await a.request('callback')).toBe('a');
  const out: string[] = [];
  for await (const p of a.stream('upper', [new TextEncoder().encode('abc'), new TextEncoder().encode('de')])) out.push(new TextDecoder().decode(p));
  expect(out).toEqual(['ABC', 'DE']);
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => a.request('echo', i)));
  expect(results[199]).toBe(199);
  const info = await a.close();
  expect(info.reason).toBe('closed');
  expect((await b.closed).reason).toBe('remote');
});

// One error root: every layer's error is a GotalkError, told apart by its code.
import { describe, expect, it } from 'vitest';
import { connect, GotalkError, NodeError, parseAddress } from '@gotalk/node';

describe('the error root', () => {
  it("@gotalk/node's errors are GotalkErrors with the node layer's codes", async () => {
    let bad: unknown;
    try {
      parseAddress('nope://x');
    } catch (err) {
      bad = err;
    }
    expect(bad).toBeInstanceOf(NodeError);
    expect(bad).toBeInstanceOf(GotalkError);
    expect(bad).toMatchObject({ code: 'BAD_ADDRESS', name: 'NodeError' });
    const refused = await connect('tcp://127.0.0.1:1', { connectTimeout: 2000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GotalkError);
    expect(refused).toMatchObject({ code: 'CONNECT_FAILED' });
  });
});

describe('dial', () => {
  it('an attempt abandoned through its signal is CONNECT_TIMEOUT, for a WebSocket as for a socket', async () => {
    const { createServer } = await import('node:net');
    const { dial, parseAddress } = await import('@gotalk/node');
    // A server that accepts and never answers the upgrade request.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as { port: number }).port;
    try {
      for (const address of [`ws://127.0.0.1:${port}/`]) {
        const attempt = new AbortController();
        const pending = dial(parseAddress(address), {}, attempt.signal).catch((e: unknown) => e);
        setTimeout(() => attempt.abort(), 50);
        expect(await pending).toMatchObject({ code: 'CONNECT_TIMEOUT' });
      }
    } finally {
      silent.close();
    }
  });
});

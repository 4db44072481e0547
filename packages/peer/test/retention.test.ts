import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { connectedPeers } from '@gotalk/peer';

// A full collection on demand, without starting the test process with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('what a settled request keeps alive', () => {
  test('a finished request left in its timeout queue holds neither its promise nor its result', async () => {
    const [a, b] = connectedPeers({ requestTimeout: 60_000 });
    b.handlers.handleBytes('big', () => new Uint8Array(256 * 1024).fill(7)).handleBytes('small', () => new Uint8Array(1));
    // Each result is looked at in a function of its own, whose frame is gone when it returns.
    const fetchBig = async () => new WeakRef(await a.requestBytes('big', new Uint8Array(1)));
    const refs: WeakRef<Uint8Array>[] = [];
    // A few requests: the timeout queue keeps finished entries until it is compacted (past 1024).
    for (let i = 0; i < 4; i++) refs.push(await fetchBig());
    // One more exchange, so that nothing on the way (the last chunk read) still holds the last result.
    await a.requestBytes('small', new Uint8Array(1));
    // Let the awaits' own references go, then collect.
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < 3; i++) gc();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    a.destroy();
    b.destroy();
  });
});

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

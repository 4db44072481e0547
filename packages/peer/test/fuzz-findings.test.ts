// Found by `pnpm fuzz`, now fixed, seen from the peer (see packages/protocol/test/fuzz-findings.test.ts):
// a peer sent an invalid header that ends a chunk closes at once with f00000002.
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError, type Peer } from '@gotalk/peer';
import { bin, scriptedPeer } from '@gotalk/test-kit';

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

describe('a peer sent an invalid header that ends a chunk', () => {
  it('fed 01r\\0\\0\\0r\\0\\0\\0 in one chunk, it closes with f00000002 (the reference behaviour)', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    t.feed(bin('01r\x00\x00\x00r\x00\x00\x00'));
    const info = await peer.closed;
    expect(info.error).toBeInstanceOf(ProtocolError);
    expect((info.error as ProtocolError).protocolCode).toBe(2);
    expect(t.outputText.endsWith('f00000002')).toBe(true);
  });

  it('fed the same bytes as 01r\\0\\0\\0r | \\0\\0\\0 (the name length last), it closes with f00000002 too', async () => {
    const { peer, t } = scriptedPeer();
    peers.push(peer);
    t.feed(bin('01r\x00\x00\x00r'));
    t.feed(bin('\x00\x00\x00'));
    await t.ends(1000);
    expect(t.outputText.endsWith('f00000002')).toBe(true);
    expect(peer.open).toBe(false);
  });
});

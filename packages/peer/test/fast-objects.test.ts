// The objects every connection makes once and reads on every request stay in V8's fast mode: an
// object literal with a getter is kept as a dictionary (a hash lookup on every read, and about
// 0.5–0.8 kB more per object), which is what the peer's own view of itself and the memory
// budget's accounts were. White-box: the peer's view is reached through a request's `host`.
import { setFlagsFromString } from 'node:v8';
import { afterEach, expect, test } from 'vitest';
import { MemoryBudget, Peer } from '@gotalk/peer';
import { ScriptedTransport } from '@gotalk/test-kit';

setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

test('the engine tells a dictionary from a fast object here (the check itself can fail)', () => {
  const literalWithGetter = {
    a: 1,
    get b() {
      return 2;
    },
  };
  expect(hasFastProperties({ a: 1, b: () => 2 })).toBe(true);
  expect(hasFastProperties(literalWithGetter)).toBe(false);
});

test("a peer's view of itself, which its requests and responder read, is a fast object", () => {
  const peer = new Peer(new ScriptedTransport(), { heartbeatInterval: 0 });
  peers.push(peer);
  const call = peer.stream('op', new Uint8Array(0));
  const host = (call as unknown as { host: object }).host;
  expect(host).toBeTypeOf('object');
  expect(hasFastProperties(host)).toBe(true);
  expect((host as { open: boolean }).open).toBe(true);
});

test("a memory budget's account is a fast object, and `held` still follows what it holds", () => {
  const account = new MemoryBudget(1000).account();
  expect(hasFastProperties(account)).toBe(true);
  expect(account.take(300)).toBe(true);
  account.backlog(50);
  expect(account.held).toBe(350);
  account.free(100);
  expect(account.held).toBe(250);
  account.close();
  expect(account.held).toBe(0);
});

test("the parts a request reaches through its host (settings, deadlines, the budget's account) are fast objects", () => {
  const peer = new Peer(new ScriptedTransport(), { heartbeatInterval: 0, budget: new MemoryBudget(1000) });
  peers.push(peer);
  // Reached through the host a request holds, whose fields name the parts it works with.
  const host = (peer.stream('op', new Uint8Array(0)) as unknown as { host: Record<string, unknown> }).host;
  for (const part of [host, host['settings'], host['deadlines'], host['account']]) {
    expect(part).toBeTypeOf('object');
    expect(hasFastProperties(part as object)).toBe(true);
  }
});

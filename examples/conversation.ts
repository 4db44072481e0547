// A conversation at the byte level: two peers in one process talk through the real codec,
// and every frame that crosses the wire is printed as it goes.
import { describeFrame, FrameDecoder } from '@gotalk/protocol';
import { Peer, memoryPair, type Transport } from '@gotalk/peer';

/** Wraps a transport so that everything written through it is decoded and printed. */
function traced(transport: Transport, label: string): Transport {
  const decoder = new FrameDecoder({ expectVersion: true });
  return {
    start: (events) => transport.start(events),
    write(bytes) {
      decoder.push(bytes, (frame) => console.log(`${label} ${describeFrame(frame)}`));
      return transport.write(bytes);
    },
    pause: () => transport.pause(),
    resume: () => transport.resume(),
    close: () => transport.close(),
    destroy: (error) => transport.destroy(error),
  };
}

const [a, b] = memoryPair();
const alice = new Peer(traced(a, 'alice ->'), { heartbeatInterval: 0 });
const bob = new Peer(traced(b, '  bob ->'), { heartbeatInterval: 0 });

bob.handlers.handle('greet', async (value, ctx) => {
  const { name } = value as { name: string };
  // Bob calls Alice back while answering her: either side can call the other.
  const mood = await ctx.peer.request('mood');
  return { greeting: `Hello ${name}, you seem ${mood}` };
});
alice.handlers.handle('mood', () => 'cheerful');
bob.handlers.handleStream('shout', async function* (parts) {
  for await (const part of parts) yield new TextEncoder().encode(new TextDecoder().decode(part).toUpperCase());
});

console.log('result:', await alice.request('greet', { name: 'Alice' }));
const parts: string[] = [];
for await (const p of alice.stream(
  'shout',
  ['one ', 'two ', 'three'].map((s) => new TextEncoder().encode(s)),
)) {
  parts.push(new TextDecoder().decode(p));
}
console.log('stream result:', parts.join(''));
await alice.request('nope').catch((err: Error) => console.log(`error result: ${err.message}`));
await alice.close();
console.log('closed:', (await bob.closed).reason);

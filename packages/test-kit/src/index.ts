// @gotalk/test-kit: what the tests of every package share. This entry point is runtime-neutral
// (no Node APIs), so tests of browser code may use all of it; Node-only helpers (ports, temp
// dirs, servers, child processes) are in '@gotalk/test-kit/node'.
export { bin, bytes, dec, enc, latin1, str } from './bytes.ts';
export { Cleanup } from './cleanup.ts';
export { describeTransport, type ConnectedPair, type PairSetup } from './conformance.ts';
export { errorOf, thrownBy, type TestError } from './failures.ts';
export { FAKE_CLOCKS, useFakeClocks } from './fake-clocks.ts';
export { ScriptedTransport, scriptedPeer, type ScriptedTransportOptions, type TransportCall } from './scripted-transport.ts';
export { deferred, delay, waitFor, within, type Deferred } from './waiting.ts';

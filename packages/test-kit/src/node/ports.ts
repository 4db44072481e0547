import { createServer } from 'node:net';

/** Where {@link freePort} picks from: below Linux's ephemeral range (32768 and up), and macOS's (49152 and up). */
const FIRST = 20_000;
const COUNT = 10_000;

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, picked at random below the
 * ephemeral range. A listener on port 0 (another test's) is never given such a port, so it
 * stays free while a test relies on it: for a client that must find nobody there, or for a
 * server that is stopped and started again on the same port. (A port picked by listening on
 * port 0 and closing is in the ephemeral range, where any other test's port-0 listener may be
 * given it next: a test that needs a port of its own should listen on port 0 and keep it.)
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = FIRST + Math.floor(Math.random() * COUNT);
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => probe.close(resolve));
      return port;
    }
  }
  throw new Error(`no free port found in ${FIRST}..${FIRST + COUNT - 1}`);
}

/** A `ws://127.0.0.1:<port>/gotalk/` address on a {@link freePort}, for a server a test restarts. */
export async function restartableAddress(): Promise<string> {
  return `ws://127.0.0.1:${await freePort()}/gotalk/`;
}

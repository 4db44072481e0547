import { listen, type Server, type ServerOptions } from '@gotalk/node';
import type { Cleanup } from '../cleanup.ts';

/**
 * A Gotalk server listening on `addresses` (port 0 picks a free port: read it from
 * `server.addresses`), stopped by `cleanup`. WebSocket listeners serve no bundle unless
 * `options.ws` says otherwise (`ws: {}` serves the built one); the other options are
 * `listen()`'s.
 */
export async function serve<D = unknown>(
  cleanup: Cleanup,
  addresses: string | readonly string[] = 'ws://127.0.0.1:0/gotalk/',
  options: ServerOptions<D> = {},
): Promise<Server<D>> {
  const server = await listen<D>(addresses, { ws: { bundle: null }, ...options });
  cleanup.add(() => stop(server));
  return server;
}

/** Closes `server` at once: its connections are destroyed, not drained. Resolves once it is closed. */
export async function stop<D>(server: Server<D>): Promise<void> {
  for (const p of server.peers) p.destroy();
  await server.close();
}

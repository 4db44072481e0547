import { createBirpc } from 'birpc';
import type { EchoClient } from './client.ts';
import { closeWs, openWs } from './ws-socket.ts';

/** birpc over a `ws` socket (post/on hooks, JSON serialization). */
export async function birpcClient(url: string): Promise<EchoClient> {
  const ws = await openWs(url);
  const rpc = createBirpc<{ echo(value: unknown): unknown }, Record<string, never>>(
    {},
    {
      post: (data) => ws.send(data),
      on: (fn) => ws.on('message', fn),
      serialize: (v) => JSON.stringify(v),
      deserialize: (v) => JSON.parse(String(v)),
    },
  );
  return {
    payload: 'json',
    call: (v) => rpc.echo(v),
    close: async () => {
      rpc.$close();
      await closeWs(ws);
    },
  };
}

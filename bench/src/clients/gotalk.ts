import type { EchoClient } from './client.ts';
import { gotalkNode } from '../gotalk-node.ts';

/** Gotalk client: `requestBytes('echo')` for bytes, `request('echo.json')` for JSON. */
export async function gotalkClient(address: string, payload: 'bytes' | 'json'): Promise<EchoClient> {
  const peer = await (await gotalkNode()).connect(address);
  return {
    payload,
    call: payload === 'bytes' ? (p) => peer.requestBytes('echo', p as Uint8Array) : (v) => peer.request('echo.json', v),
    close: async () => {
      await peer.close();
    },
  };
}

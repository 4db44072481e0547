import { WebSocket } from 'ws';

/** Opens a `ws` client socket (no compression, no payload limit). */
export function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 0 });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {});
      resolve(ws);
    });
  });
}

/** Closes a `ws` socket and waits for it to be gone. */
export function closeWs(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close();
    setTimeout(() => ws.terminate(), 1000).unref();
  });
}

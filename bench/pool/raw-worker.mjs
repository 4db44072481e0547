// The raw baseline of `pnpm bench:pool`: a worker thread that posts every message back as it came.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (message) => parentPort.postMessage(message));

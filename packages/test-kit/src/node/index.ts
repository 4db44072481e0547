// @gotalk/test-kit/node: the test helpers that need Node (sockets, files, child processes).
export { freePort, restartableAddress } from './ports.ts';
export { startGroup, type ProcessGroup } from './process-group.ts';
export { serve, stop } from './serve.ts';
export { tempDir } from './temp-dir.ts';
export { waitForIo } from './wait-for-io.ts';

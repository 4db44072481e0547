// Worker threads running TypeScript fixtures, for the transport tests that do not go through
// spawnWorker: the thread loads its module with tsx's tsImport (loader flags do not reach
// worker threads before Node 22).
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { tsxEntry } from '../src/spawn/module-url.ts';

/** A fixture under fixtures/workers/. */
export const workerFixture = (name: string): URL => new URL(`./fixtures/workers/${name}`, import.meta.url);

/** A worker thread running the TypeScript module `url`. */
export function tsWorker(url: URL, options: WorkerOptions = {}): Worker {
  const u = JSON.stringify(url.href);
  return new Worker(`import(${JSON.stringify(tsxEntry(url, './esm/api'))}).then((tsx) => tsx.tsImport(${u}, ${u}));`, { ...options, eval: true });
}

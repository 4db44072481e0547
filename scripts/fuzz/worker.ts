// A fuzz worker process: runs the range of cases its parent (main.ts) gives it over IPC, posts
// progress as it goes, and its report at the end.
import { runFuzz, type FuzzOptions } from './run.ts';

type Job = Pick<FuzzOptions, 'seed' | 'count' | 'first' | 'targets' | 'heapBound' | 'report'>;

Error.stackTraceLimit = 0; // see main.ts
process.once('message', (job: Job) => {
  void runFuzz({
    ...job,
    progressEvery: 5_000,
    onProgress: (done, failures) => process.send!({ type: 'progress', done, failures }),
  }).then((report) => process.send!({ type: 'report', report }, () => process.disconnect()));
});

// The worker of docs/workers.md, the same module in a thread or a child process: it connects
// to its parent, and its op takes jobs from the parent until there are none, handing back each
// result and telling the parent of its progress.
import { isMainThread } from 'node:worker_threads';
import { connectToParent } from '@gotalk/node';

const parent = await connectToParent();

parent.handlers.handle('work', async () => {
  let done = 0;
  for (let job = await parent.request('next-job'); job !== null; job = await parent.request('next-job')) {
    await parent.request('result', { job, square: (job as number) ** 2 });
    parent.notify('progress', { done: ++done });
  }
  return { where: isMainThread ? 'process' : 'thread', done };
});

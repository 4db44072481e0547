#!/usr/bin/env node
// The `gotalk` command. It loads the built CLI (dist/, made by `npx --yes pnpm@10 run build`) and is a file of
// its own, in the repository, so that package managers can link the command at install time,
// before anything is built.
try {
  await import('../dist/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/main.js')) {
    console.error('gotalk: the command line is not built yet; run `npx --yes pnpm@10 run build` first');
    process.exit(5);
  }
  throw err;
}

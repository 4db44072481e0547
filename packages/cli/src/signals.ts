import { Exit } from './args.ts';

/**
 * Resolves with the signal's name on the first SIGINT or SIGTERM; a second one exits at once
 * with code 130. Call it before announcing readiness, so no signal slips in unhandled.
 */
export function interrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      process.once('SIGINT', () => process.exit(Exit.interrupted));
      process.once('SIGTERM', () => process.exit(Exit.interrupted));
      resolve(signal);
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
}

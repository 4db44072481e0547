import { connect, DEFAULTS, GotalkError, NodeError, type ConnectOptions, type Handlers, type Peer } from '@gotalk/node';
import { CliError, Exit, intOption, readArgFile } from './args.ts';

/** The parsed values of the shared connect options (see `connectOptions` in args.ts). */
export interface ConnectValues {
  readonly timeout?: string | undefined;
  readonly retries?: string | undefined;
  readonly insecure?: boolean | undefined;
  readonly ca?: string | undefined;
  readonly origin?: string | undefined;
}

/** A connected peer and the time left for its request. */
export interface Client {
  readonly peer: Peer;
  /** Ms left of `--timeout` after connecting (0: no timeout), for the request's own timeout. */
  remaining(): number;
  /** `--timeout` in ms (0: none). */
  readonly timeout: number;
  /** `--retries`, when given. */
  readonly retries: number | undefined;
}

/**
 * Rethrows a request's own timeout as one that names `--timeout` in full (the request only had
 * what connecting left of it); other errors pass through.
 */
export function explainTimeout(err: unknown, client: Client, op: string): never {
  if (err instanceof GotalkError && err.code === 'TIMEOUT' && client.timeout > 0) {
    throw new CliError(`timed out: no result for "${op}" within ${client.timeout} ms (--timeout)`, Exit.timeout);
  }
  throw err;
}

/** Connect timeout when `--timeout` is 0 or not given for commands without a default. */
const CONNECT_TIMEOUT = DEFAULTS.connectTimeout;

/**
 * Connects to `address` for `command` with the shared options. `--timeout` (default
 * `defaultTimeout`) covers connecting and the request together; 0 puts no limit on the request, while connecting still gives up after CONNECT_TIMEOUT. `handlers`
 * serve what the other side sends.
 */
export async function openClient(command: string, address: string, values: ConnectValues, defaultTimeout: number, handlers?: Handlers): Promise<Client> {
  const timeout = intOption(command, 'timeout', values.timeout, 0x7fffffff) ?? defaultTimeout;
  const retries = intOption(command, 'retries', values.retries, 1000);
  const tls: NonNullable<ConnectOptions['tls']> = {
    ...(values.insecure ? { rejectUnauthorized: false } : {}),
    ...(values.ca ? { ca: Buffer.from(await readArgFile(command, values.ca)) } : {}),
  };
  const started = Date.now();
  const connectTimeout = timeout > 0 ? timeout : CONNECT_TIMEOUT;
  const peer = await connect(address, {
    connectTimeout,
    requestTimeout: 0,
    tls,
    ...(values.origin ? { origin: values.origin } : {}),
    ...(handlers ? { handlers } : {}),
    ...(retries !== undefined ? { retries } : {}),
  }).catch((err: unknown) => {
    if (err instanceof NodeError && err.code === 'CONNECT_TIMEOUT') {
      throw new CliError(`timed out: could not connect to ${address} within ${connectTimeout} ms${timeout > 0 ? ' (--timeout)' : ''}`, Exit.timeout);
    }
    throw err;
  });
  return {
    peer,
    timeout,
    retries,
    remaining: () => (timeout > 0 ? Math.max(1, timeout - (Date.now() - started)) : 0),
  };
}

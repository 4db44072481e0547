/** One connection of one implementation, able to echo a payload. */
export interface EchoClient {
  /** Whether payloads are bytes or a JSON object. */
  readonly payload: 'bytes' | 'json';
  call(payload: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** A FIFO of pending replies, for the raw clients whose replies come back in request order. */
export class Pending<T> {
  private items: ((v: T) => void)[] = [];
  private head = 0;

  push(resolve: (v: T) => void): void {
    this.items.push(resolve);
  }

  shift(value: T): void {
    const r = this.items[this.head];
    if (!r) return;
    this.items[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    r(value);
  }
}

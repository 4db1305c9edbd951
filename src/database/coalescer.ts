/**
 * Group commit for a hot query: the calls made while the event loop is busy with other work are
 * answered by one database command instead of one each. A call joins the batch that is still
 * open; the batch is sent once the loop has run what was ready (`setImmediate`), so a lone call
 * waits no longer than that, and under load the deliveries arriving together share a round trip.
 * A batch holds at most `maxBatch` calls, which bounds the size of one command.
 *
 * Nothing is cached: every batch is a fresh command sent after each of its calls was made, so a
 * call sees what a command of its own would have seen. `run` answers one result per key, in the
 * order of `keys`; a result that is an Error fails that call only, and a thrown error fails every
 * call of the batch (as it would have failed each of them alone).
 */
export class Coalescer<K, V> {
  private open: Array<Waiting<K, V>> | null = null;

  constructor(
    private readonly run: (keys: K[]) => Promise<Array<V | Error>>,
    private readonly maxBatch = 500,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      if (!this.open || this.open.length >= this.maxBatch) {
        const batch: Array<Waiting<K, V>> = (this.open = []);
        setImmediate(() => this.send(batch));
      }
      this.open.push({ key, resolve, reject });
    });
  }

  private send(batch: Array<Waiting<K, V>>): void {
    if (this.open === batch) this.open = null;
    let answered: Promise<Array<V | Error>>;
    try {
      answered = this.run(batch.map((waiting) => waiting.key));
    } catch (error) {
      answered = Promise.reject(error);
    }
    answered.then(
      (results) => {
        if (!Array.isArray(results) || results.length !== batch.length) {
          const error = new Error(`A batch of ${batch.length} calls got ${Array.isArray(results) ? results.length : 'no'} results`);
          for (const waiting of batch) waiting.reject(error);
          return;
        }
        batch.forEach((waiting, i) => {
          const result = results[i];
          if (result instanceof Error) waiting.reject(result);
          else waiting.resolve(result as V);
        });
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
  }
}

interface Waiting<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

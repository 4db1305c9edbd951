import { describe, it } from 'node:test';
import { expect } from 'expect';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Coalescer } from './coalescer.js';

/** A Coalescer whose command doubles each key and remembers every batch it was sent. */
function doubling(maxBatch?: number, answer?: (keys: number[]) => Promise<Array<number | Error>>) {
  const batches: number[][] = [];
  const coalescer = new Coalescer<number, number>(async (keys) => {
    batches.push(keys);
    return answer ? answer(keys) : keys.map((key) => key * 2);
  }, maxBatch);
  return { coalescer, batches };
}

describe('Coalescer', () => {
  it('answers the calls made together with one command, each with its own result', async () => {
    const { coalescer, batches } = doubling();
    const results = await Promise.all([1, 2, 3, 2].map((key) => coalescer.load(key)));
    expect(results).toEqual([2, 4, 6, 4]);
    expect(batches).toEqual([[1, 2, 3, 2]]);
  });

  it('sends a call made once its batch was sent in a command of its own', async () => {
    const { coalescer, batches } = doubling();
    const first = coalescer.load(1);
    await nextTurn();
    // The first batch went out in the turn above; this call must not wait for it nor join it.
    expect(batches).toEqual([[1]]);
    const second = coalescer.load(5);
    expect(await Promise.all([first, second])).toEqual([2, 10]);
    expect(batches).toEqual([[1], [5]]);
  });

  it('opens a new batch once one holds maxBatch calls', async () => {
    const { coalescer, batches } = doubling(2);
    const results = await Promise.all([1, 2, 3, 4, 5].map((key) => coalescer.load(key)));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails only the call whose result is an error', async () => {
    const { coalescer } = doubling(undefined, async (keys) => keys.map((key) => (key === 2 ? new Error('no 2') : key)));
    const results = await Promise.allSettled([1, 2, 3].map((key) => coalescer.load(key)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: new Error('no 2') },
      { status: 'fulfilled', value: 3 },
    ]);
  });

  it('fails every call of a batch whose command fails, and serves the next batch', async () => {
    let down = true;
    const { coalescer } = doubling(undefined, async (keys) => {
      if (down) throw new Error('database down');
      return keys;
    });
    const failed = await Promise.allSettled([1, 2].map((key) => coalescer.load(key)));
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toEqual(new Error('database down'));
    down = false;
    expect(await coalescer.load(7)).toBe(7);
  });

  it('fails every call of a batch whose command answers a result short', async () => {
    const { coalescer } = doubling(undefined, async (keys) => keys.slice(1));
    const results = await Promise.allSettled([1, 2].map((key) => coalescer.load(key)));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('A batch of 2 calls got 1 results'));
  });

  it('fails the batch when the command throws before it starts', async () => {
    const coalescer = new Coalescer<number, number>(() => {
      throw new Error('bad filter');
    });
    await expect(coalescer.load(1)).rejects.toThrow('bad filter');
  });
});

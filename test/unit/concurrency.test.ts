// The one concurrency limit (core/concurrency.ts over p-limit): order, the limit, fail-fast.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { mapLimit } from '../../src/core/concurrency.js';

describe('mapLimit', () => {
  it('starts calls in order, never has more than the limit in flight, and returns results in order', async () => {
    const started: number[] = [];
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([30, 5, 20, 1, 10, 2, 0], 3, async (ms, i) => {
      started.push(i);
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(ms);
      inFlight--;
      return `${i}:${ms}`;
    });
    assert.deepEqual(out, ['0:30', '1:5', '2:20', '3:1', '4:10', '5:2', '6:0']);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(peak, 3);
  });

  it('a limit below 1 (or not a number) runs one at a time; an empty list gives an empty result', async () => {
    for (const limit of [0, -2, Number.NaN]) {
      let inFlight = 0;
      let peak = 0;
      await mapLimit([1, 2, 3], limit, async () => {
        peak = Math.max(peak, ++inFlight);
        await sleep(2);
        inFlight--;
      });
      assert.equal(peak, 1, `limit ${limit}`);
    }
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  });

  it('after a failure starts no new call, and rejects with the first failure only once the calls in flight have settled', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const first = new Error('first');
    const t0 = Date.now();
    await assert.rejects(
      mapLimit([0, 1, 2, 3, 4, 5], 2, async (x) => {
        started.push(x);
        try {
          if (x === 0) {
            await sleep(5);
            throw first;
          }
          if (x === 1) {
            await sleep(80);
            throw new Error('second');
          }
          await sleep(5);
          return x;
        } finally {
          settled.push(x);
        }
      }),
      (e: unknown) => e === first,
    );
    assert.ok(Date.now() - t0 >= 75, 'rejected before the call in flight settled');
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(settled.sort(), [0, 1]);
  });

  it('a synchronous throw counts as a failure like a rejection', async () => {
    const fn = ((x: number) => {
      if (x === 1) throw new Error('sync');
      return Promise.resolve(x);
    }) as (x: number) => Promise<number>;
    await assert.rejects(mapLimit([0, 1, 2], 1, fn), /sync/);
  });
});

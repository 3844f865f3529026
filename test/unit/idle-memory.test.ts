import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdleMemoryRelease, lastResortCollect } from '../../src/core/idle-memory.js';

describe('idle memory release', () => {
  it('V8 offers the last-resort collection, and it gives freed pages back to the operating system', () => {
    const collect = lastResortCollect();
    assert.ok(collect, 'no last-resort collection in this V8');
    // Garbage enough to grow the young generation and old space, then dropped.
    let keep: { a: number; b: string }[] | null = [];
    for (let i = 0; i < 2_000_000; i++) {
      keep.push({ a: i, b: `x${i}` });
      if (keep.length > 200_000) keep = [];
    }
    keep = null;
    const before = process.memoryUsage.rss();
    collect();
    const after = process.memoryUsage.rss();
    assert.ok(after < before - 16 * 1024 * 1024, `RSS ${before} → ${after}: less than 16 MiB went back`);
  });

  it('collects once the process has been quiet and has grown, not while active, and not again until it grows', async () => {
    // Margins are wide (quiet 200 ms, activity every 50 ms): two test files run side by side.
    let rss = 100;
    const runs: number[] = [];
    const m = new IdleMemoryRelease({
      quietMs: 200,
      growthBytes: 10,
      collect: () => {
        runs.push(rss);
        rss = 60; // what the collection gave back: the next baseline
      },
      rss: () => rss,
    });
    try {
      // Activity keeps pushing the collection back.
      for (let i = 0; i < 8; i++) {
        await sleep(50);
        m.activity();
      }
      assert.equal(runs.length, 0, 'collected while active');
      await sleep(500);
      assert.deepEqual(runs, [100], 'one collection after the quiet period');
      // Quiet again, grown by less than growthBytes since the collection (60 → 65): nothing runs.
      rss = 65;
      m.activity();
      await sleep(500);
      assert.equal(runs.length, 1, 'collected without growth');
      // Grown past it (60 → 75): it runs again.
      rss = 75;
      m.activity();
      await sleep(500);
      assert.deepEqual(runs, [100, 75]);
      assert.equal(m.releases, 2);
    } finally {
      m.stop();
    }
  });

  it('does nothing after stop, nor where V8 offers no collection', async () => {
    let n = 0;
    const m = new IdleMemoryRelease({ quietMs: 10, growthBytes: 0, collect: () => n++, rss: () => 1e9 });
    m.stop();
    m.activity();
    const none = new IdleMemoryRelease({ quietMs: 10, growthBytes: 0, collect: undefined, rss: () => 1e9 });
    none.activity();
    await sleep(50);
    assert.equal(n, 0);
    assert.equal(none.releases, 0);
  });
});

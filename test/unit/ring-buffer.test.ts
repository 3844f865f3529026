import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from '../../src/state/ring-buffer.js';
import { windowFor } from '../../src/ui/components/Table.js';
import { formatElapsed, truncate } from '../../src/ui/format.js';

describe('ring buffer', () => {
  it('keeps the last N in order', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    assert.equal(r.length, 3);
    assert.equal(r.pushed, 5);
    assert.deepEqual(r.slice(0), [3, 4, 5]);
    assert.equal(r.at(0), 3);
    assert.equal(r.at(3), undefined);
    r.clear();
    assert.equal(r.length, 0);
  });
});

describe('table window', () => {
  it('keeps the selection visible with minimal scrolling', () => {
    assert.deepEqual(windowFor(100, 10, 0, 0), { start: 0, end: 10 });
    assert.deepEqual(windowFor(100, 10, 9, 0), { start: 0, end: 10 });
    assert.deepEqual(windowFor(100, 10, 10, 0), { start: 1, end: 11 });
    assert.deepEqual(windowFor(100, 10, 50, 45), { start: 45, end: 55 });
    assert.deepEqual(windowFor(100, 10, 3, 45), { start: 3, end: 13 });
    assert.deepEqual(windowFor(5, 10, 4, 0), { start: 0, end: 5 });
    assert.deepEqual(windowFor(100, 10, 99, 0), { start: 90, end: 100 });
  });
  it('formats elapsed times', () => {
    assert.equal(formatElapsed(450), '450ms');
    assert.equal(formatElapsed(12_300), '12s');
    assert.equal(formatElapsed(184_000), '3m04s');
    assert.equal(formatElapsed(3_720_000), '1h02m');
    assert.equal(formatElapsed(undefined), '');
  });
  it('truncates to a width with …, never past it', () => {
    assert.equal(truncate('abcdef', 6), 'abcdef');
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abcdef', 1), 'a');
    assert.equal(truncate('abcdef', 0), '');
  });
});

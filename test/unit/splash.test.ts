import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { showSplash } from '../../src/cli/splash.js';

function sink(): { out: { write(s: string): boolean }; text: () => string; writes: string[] } {
  const writes: string[] = [];
  return { out: { write: (s: string) => (writes.push(s), true) }, text: () => writes.join(''), writes };
}

describe('the splash written before Ink loads', () => {
  it('enters the alternate screen, hides the cursor and names the console and the environment', () => {
    const t = sink();
    showSplash(t.out, 'play-ana');
    assert.ok(t.text().startsWith('\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J'), JSON.stringify(t.text()));
    // What the operator reads, without the colours.
    const plain = t.text().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    assert.equal(plain, '\n platform-console play-ana\n starting the console…');
  });

  it('handOver clears it for Ink, and the screen is then Ink’s: leave writes nothing', () => {
    const t = sink();
    const s = showSplash(t.out, 'e2e');
    s.handOver();
    assert.equal(t.writes.at(-1), '\x1b[H\x1b[2J');
    const n = t.writes.length;
    s.leave();
    s.handOver();
    assert.equal(t.writes.length, n);
  });

  it('leave (the console did not start) gives the operator their screen and cursor back, once', () => {
    const t = sink();
    const s = showSplash(t.out, 'e2e');
    s.leave();
    assert.equal(t.writes.at(-1), '\x1b[?1049l\x1b[?25h');
    s.leave();
    s.handOver();
    assert.equal(t.writes.filter((w) => w.includes('1049l')).length, 1);
    assert.ok(!t.writes.some((w) => w === '\x1b[H\x1b[2J'));
  });

  it('a terminal that throws on write does not stop the start', () => {
    const s = showSplash({ write: () => { throw new Error('EIO'); } }, 'e2e');
    assert.doesNotThrow(() => s.leave());
  });
});

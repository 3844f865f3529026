import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shellWords } from '../../src/core/shell-words.js';
import { splitCommand } from '../../src/services/local/emulator.js';

describe('shellWords ($EDITOR, PLATFORM_MOTO_SERVER)', () => {
  it('splits as a POSIX shell does for simple commands', () => {
    assert.deepEqual(shellWords('code --wait'), ['code', '--wait']);
    assert.deepEqual(shellWords('"/opt/My Editor/ed" -n'), ['/opt/My Editor/ed', '-n']);
    assert.deepEqual(shellWords("vim -c 'set nu'"), ['vim', '-c', 'set nu']);
    assert.deepEqual(shellWords('a\\ b "c\\"d" \'e\\f\''), ['a b', 'c"d', 'e\\f']);
    assert.deepEqual(shellWords('  ed  '), ['ed']);
    assert.deepEqual(shellWords('""'), ['']);
    assert.deepEqual(shellWords('$HOME/x'), ['$HOME/x'], 'no expansion');
  });

  it('an unterminated quote is undefined, and the emulator names its variable', () => {
    assert.equal(shellWords('"/opt/ed'), undefined);
    assert.throws(() => splitCommand("moto_server '-p"), /PLATFORM_MOTO_SERVER has an unterminated quote/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDriftEvery, parseInvocation } from '../../src/cli/args.js';
import { UsageError } from '../../src/core/errors.js';

describe('command line', () => {
  it('parses the console and --ci forms', () => {
    assert.deepEqual(parseInvocation(['--play', '--local']), { kind: 'console', play: true, local: true });
    assert.deepEqual(parseInvocation(['-e', 'dev']), { kind: 'console', environment: 'dev', play: false, local: false });
    assert.deepEqual(parseInvocation(['-e', 'dev', '--local', '--ci', 'apply', '--json', '--auto-approve']), {
      kind: 'ci',
      environment: 'dev',
      play: false,
      local: true,
      command: 'apply',
      json: true,
      autoApprove: true,
      writeProfile: false,
    });
    assert.deepEqual(parseInvocation(['--local', 'stop']), { kind: 'local-stop' });
  });
  it('parses the AWS --ci commands', () => {
    const ci = (argv: string[]) => parseInvocation(['-e', 'dev', '--ci', ...argv]);
    assert.deepEqual((ci(['secrets', 'get', 'secure/kubeconfig_admin']) as { secrets?: unknown }).secrets, { op: 'get', key: 'secure/kubeconfig_admin' });
    assert.deepEqual((ci(['secrets', 'put', 'k', './f']) as { secrets?: unknown }).secrets, { op: 'put', key: 'k', file: './f' });
    assert.deepEqual((ci(['secrets', 'ls']) as { secrets?: unknown }).secrets, { op: 'ls' });
    assert.equal((ci(['bootstrap', '--write-profile']) as { writeProfile?: boolean }).writeProfile, true);
    assert.equal((ci(['instances', '--json']) as { command?: string }).command, 'instances');
    for (const bad of [['secrets'], ['secrets', 'get'], ['secrets', 'put', 'k'], ['secrets', 'nuke'], ['instances', 'extra'], ['plan', '--write-profile']]) {
      assert.throws(() => ci(bad), UsageError, JSON.stringify(bad));
    }
  });

  it('refuses bad usage with a UsageError', () => {
    for (const argv of [[], ['-e'], ['-e', 'dev', '--ci', 'nuke'], ['--bogus'], ['stop'], ['-e', 'dev', '--json'], ['--play', '-e', 'x'], ['-e', 'dev', 'extra']]) {
      assert.throws(() => parseInvocation(argv), UsageError, JSON.stringify(argv));
    }
  });
});

describe('repeated options', () => {
  it('an option given twice is a UsageError naming it, whatever the spelling', () => {
    const cases: [string[], RegExp][] = [
      [['-e', 'a', '-e', 'b', '--ci', 'plan'], /^-e\/--env was given twice$/],
      [['--env', 'a', '-e', 'b'], /^-e\/--env was given twice$/],
      [['--env=a', '--env=b'], /^-e\/--env was given twice$/],
      [['-e', 'dev', '--ci', 'plan', '--ci', 'apply'], /^--ci was given twice$/],
      [['-e', 'dev', '--ci', 'plan', '--json', '--json'], /^--json was given twice$/],
      [['-e', 'dev', '--ci', 'ssh', 'bastion', '--user', 'a', '--user', 'b'], /^--user was given twice$/],
    ];
    for (const [argv, re] of cases) {
      assert.throws(() => parseInvocation(argv), (e: unknown) => e instanceof UsageError && re.test(e.message) && e.hint.length > 0, JSON.stringify(argv));
    }
  });
  it('what follows "--" is the remote command and may repeat anything', () => {
    const inv = parseInvocation(['-e', 'dev', '--ci', 'ssh', 'bastion', '--', 'ls', '-e', '-e', '--ci']);
    assert.deepEqual((inv as { ssh?: { command: string[] } }).ssh?.command, ['ls', '-e', '-e', '--ci']);
  });

  it('--fleet: the console on the Fleet screen, no environment; --concurrency and --playground-age there; everything else refused with why', () => {
    assert.deepEqual(parseInvocation(['--fleet']), { kind: 'console', play: false, local: false, fleet: true });
    assert.deepEqual(parseInvocation(['--local', '--fleet', '--concurrency', '3', '--playground-age', '2']), { kind: 'console', play: false, local: true, fleet: true, concurrency: 3, playgroundAgeMs: 2 * 24 * 60 * 60_000 });
    assert.deepEqual(parseInvocation(['--play', '--local', '--fleet']), { kind: 'console', play: false, local: true, fleet: true }, 'play.kube passes --play: ignored');
    const refused = (argv: string[], re: RegExp) => assert.throws(() => parseInvocation(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
    refused(['--fleet', '-e', 'dev'], /--fleet shows every environment: it takes no -e ENV/);
    refused(['--fleet', '--ci', 'plan'], /--fleet opens the console on the Fleet screen and does not work with --ci/);
    refused(['--fleet', '--concurrency', '0'], /--concurrency "0" is not a number from 1 to 64/);
    refused(['--fleet', '--concurrency', 'lots'], /--concurrency "lots" is not a number from 1 to 64/);
    refused(['--fleet', '--json'], /--json does not work with --fleet/);
    refused(['--fleet', 'extra'], /unexpected argument "extra"/);
    refused(['-e', 'dev', '--concurrency', '2'], /--concurrency only works with --ci ssh or --ci exec, or with --fleet/);
    refused(['-e', 'dev', '--playground-age', '2'], /--playground-age only works with --fleet or --ci fleet/);
  });

  it('--drift-every: a duration from 1m to 24h, in the console only', () => {
    assert.equal(parseDriftEvery('30m'), 1_800_000);
    assert.equal(parseDriftEvery('90s'), 90_000);
    assert.equal(parseDriftEvery('2h'), 7_200_000);
    for (const bad of ['10s', '25h', '30', 'm', '1.5h', '-1m']) assert.throws(() => parseDriftEvery(bad), /--drift-every ".*" is not a duration from 1m to 24h/);
    const inv = parseInvocation(['-e', 'prod', '--drift-every', '15m']);
    assert.ok(inv.kind === 'console' && inv.driftEveryMs === 900_000);
    assert.throws(() => parseInvocation(['-e', 'prod', '--ci', 'plan', '--drift-every', '15m']), /--drift-every only works in the console/);
  });
});

describe('--ci roll', () => {
  it('the node group, the roll options in ms, the SSH options and --kubeconfig', () => {
    const inv = parseInvocation(['-e', 'prod', '--ci', 'roll', 'compute', '--batch', '3', '--settle', '90', '--drain-timeout', '600', '--disable-eviction', '--force', '--auto-approve', '--bastion', '1.2.3.4', '--kubeconfig', 'k.yaml', '--json']);
    assert.equal(inv.kind, 'ci');
    if (inv.kind !== 'ci') return;
    assert.equal(inv.command, 'roll');
    assert.deepEqual(inv.roll, { layer: 'compute', force: true, batch: 3, settleMs: 90_000, drainTimeoutMs: 600_000, disableEviction: true });
    assert.equal(inv.autoApprove, true);
    assert.equal(inv.json, true);
    assert.equal(inv.kubeconfig, 'k.yaml');
    assert.equal(inv.ssh?.bastion, '1.2.3.4');
    const plain = parseInvocation(['-e', 'prod', '--ci', 'roll', 'secure']);
    assert.ok(plain.kind === 'ci' && plain.autoApprove === false && plain.roll?.settleMs === 60_000 && plain.roll.drainTimeoutMs === 300_000 && plain.roll.batch === 1);
  });

  it('refuses what a roll cannot take, naming it', () => {
    const no = (argv: string[], re: RegExp) => assert.throws(() => parseInvocation(argv), (e: unknown) => e instanceof UsageError && re.test(e.message));
    no(['-e', 'x', '--ci', 'roll'], /takes the node group to roll, secure or compute$/);
    no(['-e', 'x', '--ci', 'roll', 'bastion'], /\(not "bastion"\)/);
    no(['-e', 'x', '--ci', 'roll', 'secure', '--batch', '2'], /the control plane \(secure\) is rolled one node at a time/);
    no(['-e', 'x', '--ci', 'roll', 'compute', '--batch', '101'], /--batch "101" is not a number from 1 to 100/);
    no(['-e', 'x', '--ci', 'roll', 'compute', '--settle', '1h'], /--settle "1h" is not a number of seconds from 0 to 3600/);
    no(['-e', 'x', '--ci', 'plan', '--drain-timeout', '5'], /--drain-timeout only works with --ci roll/);
    no(['--ci', 'roll', 'compute'], /no environment given/);
  });
});

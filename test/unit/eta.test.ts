// The ETA learned from past applies (core/eta.ts): medians by address, then by type; the share that
// ran in parallel; no history, no ETA.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedMs, learnEta, timeLeftMs, typeOfAddress, type PastApply } from '../../src/core/eta.js';

const apply = (startedAt: string, wallMs: number, resources: [string, string, number][], outcome = 'succeeded'): PastApply => ({
  operation: 'apply',
  outcome,
  startedAt,
  endedAt: new Date(Date.parse(startedAt) + wallMs).toISOString(),
  resources: resources.map(([address, action, durationMs]) => ({ address, action, result: 'succeeded', durationMs })),
});

describe('ETA from the history', () => {
  it('types of addresses: modules, index keys with dots, data sources', () => {
    assert.equal(typeOfAddress('aws_vpc.this'), 'aws_vpc');
    assert.equal(typeOfAddress('module.network.aws_subnet.private["us-east-1.a"]'), 'aws_subnet');
    assert.equal(typeOfAddress('module.a.module.b.aws_instance.x[0]'), 'aws_instance');
    assert.equal(typeOfAddress('module.a.data.aws_ami.ubuntu'), 'aws_ami');
  });

  it('a resource: the median of its address and action, else of its type and action, else unknown; failed applies are not learned', () => {
    const m = learnEta([
      apply('2026-11-01T10:00:00Z', 10_000, [['aws_vpc.a', 'create', 1000], ['aws_subnet.a', 'create', 3000]]),
      apply('2026-11-02T10:00:00Z', 10_000, [['aws_vpc.a', 'create', 2000], ['aws_subnet.b', 'create', 5000]]),
      apply('2026-11-03T10:00:00Z', 10_000, [['aws_vpc.a', 'create', 9000]]),
      apply('2026-11-04T10:00:00Z', 10_000, [['aws_vpc.a', 'create', 60_000]], 'failed'),
    ]);
    assert.equal(m.applies, 3);
    assert.equal(expectedMs(m, 'aws_vpc.a', 'create'), 2000, 'median of 1000, 2000, 9000 (the failed apply left out)');
    assert.equal(expectedMs(m, 'aws_subnet.c', 'create'), 4000, 'no such address: the median of its type');
    assert.equal(expectedMs(m, 'aws_vpc.a', 'delete'), undefined, 'another action is not the same work');
    assert.equal(expectedMs(m, 'aws_instance.x', 'create'), undefined);
  });

  it('time left: the parallel share of what is left, at least the longest; applying rows count what remains; none without history', () => {
    // Two past applies whose resources summed 20 s in 10 s of wall time: half ran in parallel.
    const past = [
      apply('2026-11-01T10:00:00Z', 10_000, [['a.x', 'create', 10_000], ['a.y', 'create', 6_000], ['a.z', 'create', 4_000]]),
      apply('2026-11-02T10:00:00Z', 10_000, [['a.x', 'create', 10_000], ['a.y', 'create', 6_000], ['a.z', 'create', 4_000]]),
    ];
    const m = learnEta(past);
    assert.equal(m.parallelShare, 0.5);
    const rows = [
      { address: 'a.x', action: 'create', status: 'planned' },
      { address: 'a.y', action: 'create', status: 'planned' },
      { address: 'a.z', action: 'create', status: 'planned' },
    ];
    assert.equal(timeLeftMs(m, rows, 0), 10_000, 'max(longest 10 s, half of 20 s)');
    const now = 100_000;
    const later = [
      { address: 'a.x', action: 'create', status: 'applying', startedAt: now - 4_000 },
      { address: 'a.y', action: 'create', status: 'done' },
      { address: 'a.z', action: 'create', status: 'done' },
    ];
    assert.equal(timeLeftMs(m, later, now), 6_000, '10 s expected, 4 s gone');
    assert.equal(timeLeftMs(m, [{ address: 'b.q', action: 'create', status: 'planned' }], 0), undefined, 'nothing left is known');
    assert.equal(timeLeftMs(learnEta([]), rows, 0), undefined, 'no history, no ETA');
    assert.equal(timeLeftMs(m, later.map((r) => ({ ...r, status: 'done' })), now), 0);
  });
});

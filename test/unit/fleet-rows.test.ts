import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryRecord } from '../../src/services/history/record.js';
import { age, attentionOf, DEFAULT_RULES, historyPart, sortRows, type FleetRow } from '../../src/services/fleet/rows.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const H = 60 * 60_000;

function rec(operation: HistoryRecord['operation'], outcome: HistoryRecord['outcome'], agoMs: number, extra: Partial<HistoryRecord> = {}): HistoryRecord {
  const startedAt = new Date(NOW - agoMs).toISOString();
  return { version: 1, id: `x${agoMs}`, environment: 'e', operation, outcome, who: { arn: 'arn', login: 'ana@host' }, startedAt, ...(outcome === 'running' ? {} : { endedAt: startedAt }), terraformVersion: '1.11.4', profileHash: 'h', resources: [], diagnostics: [], ...extra };
}

function row(p: Partial<Omit<FleetRow, 'attention'>>): Omit<FleetRow, 'attention'> {
  return { environment: 'e', account: '', region: 'eu-west-1', playground: false, lock: { state: 'free' }, state: { exists: true }, ...p };
}

describe('fleet rows: what needs the operator', () => {
  it('a held lock needs attention only once older than an hour', () => {
    const held = (ageMs: number) => row({ lock: { state: 'held', who: 'ana@host', operation: 'apply', created: '', ageMs } });
    assert.deepEqual(attentionOf(held(59 * 60_000), DEFAULT_RULES, NOW), []);
    assert.deepEqual(attentionOf(held(2 * H), DEFAULT_RULES, NOW), ['lock held 2h by ana@host (apply)']);
  });

  it('a last operation that failed, was interrupted or cancelled needs attention; running or succeeded does not', () => {
    for (const outcome of ['failed', 'interrupted', 'cancelled'] as const) {
      assert.deepEqual(attentionOf(row(historyPart([rec('apply', outcome, 3 * H)])), DEFAULT_RULES, NOW), [`last apply ${outcome} (3h ago)`]);
    }
    assert.deepEqual(attentionOf(row(historyPart([rec('apply', 'running', 60_000)])), DEFAULT_RULES, NOW), []);
    assert.deepEqual(attentionOf(row(historyPart([rec('destroy', 'succeeded', 60_000)])), DEFAULT_RULES, NOW), []);
  });

  it('drift found by the newest check needs attention until an apply succeeds after it', () => {
    const drift = rec('drift', 'succeeded', 2 * H, { drift: { changed: ['a', 'b'], notDrift: 1 } });
    assert.deepEqual(attentionOf(row(historyPart([drift])), DEFAULT_RULES, NOW), ['drift: 2 changed outside Terraform (2h ago)']);
    assert.deepEqual(attentionOf(row(historyPart([rec('apply', 'succeeded', H), drift])), DEFAULT_RULES, NOW), []);
    assert.deepEqual(attentionOf(row(historyPart([rec('apply', 'failed', H), drift])), DEFAULT_RULES, NOW), ['last apply failed (1h ago)', 'drift: 2 changed outside Terraform (2h ago)']);
    const clean = rec('drift', 'succeeded', H, { drift: { changed: [], notDrift: 3 } });
    assert.deepEqual(attentionOf(row(historyPart([clean, drift])), DEFAULT_RULES, NOW), [], 'the newest check found none');
  });

  it('a playground is as old as its first apply since the last destroy; older than --playground-age needs attention', () => {
    const records = [rec('apply', 'succeeded', 1 * 24 * H), rec('apply', 'succeeded', 9 * 24 * H), rec('destroy', 'succeeded', 20 * 24 * H), rec('apply', 'succeeded', 30 * 24 * H)];
    const p = historyPart(records);
    assert.equal(p.firstApplyAt, records[1]!.startedAt);
    assert.deepEqual(attentionOf(row({ ...p, playground: true }), DEFAULT_RULES, NOW), ['playground up 9d']);
    assert.deepEqual(attentionOf(row({ ...p, playground: true }), { ...DEFAULT_RULES, playgroundAgeMs: 10 * 24 * H }, NOW), []);
    assert.deepEqual(attentionOf(row({ ...p, playground: false }), DEFAULT_RULES, NOW), [], 'only playgrounds');
  });

  it('destroyed: the newest apply or destroy (drift checks aside) is a destroy that succeeded', () => {
    assert.equal(historyPart([rec('drift', 'failed', H), rec('destroy', 'succeeded', 2 * H), rec('apply', 'succeeded', 3 * H)]).destroyed, true);
    assert.equal(historyPart([rec('apply', 'running', H), rec('destroy', 'succeeded', 2 * H)]).destroyed, undefined, 'an apply running makes resources again');
    assert.equal(historyPart([rec('apply', 'succeeded', H), rec('destroy', 'succeeded', 2 * H)]).destroyed, undefined);
    assert.equal(historyPart([rec('destroy', 'failed', H), rec('apply', 'succeeded', 2 * H)]).destroyed, undefined, 'a failed destroy leaves resources');
    assert.equal(historyPart([]).destroyed, undefined);
  });

  it('rows that need attention come first, by their most urgent reason, then by name', () => {
    const mk = (environment: string, p: Partial<Omit<FleetRow, 'attention'>>): FleetRow => {
      const r = row({ environment, ...p });
      return { ...r, attention: attentionOf(r, DEFAULT_RULES, NOW) };
    };
    const sorted = sortRows(
      [
        mk('a', {}),
        mk('b', { playground: true, firstApplyAt: new Date(NOW - 9 * 24 * H).toISOString() }),
        mk('c', historyPart([rec('drift', 'succeeded', H, { drift: { changed: ['x'], notDrift: 0 } })])),
        mk('d', { error: 'x' }),
        mk('e', historyPart([rec('apply', 'failed', H)])),
        mk('f', { lock: { state: 'held', who: 'x', operation: 'apply', created: '', ageMs: 2 * H } }),
        mk('0', {}),
      ],
      DEFAULT_RULES,
      NOW,
    );
    assert.deepEqual(sorted.map((r) => r.attention[0]?.split(' ')[0] ?? ''), ['cannot', 'lock', 'last', 'drift:', 'playground', '', '']);
    assert.deepEqual(sorted.map((r) => r.environment), ['d', 'f', 'e', 'c', 'b', '0', 'a']);
  });

  it('ages: seconds, minutes, hours, days', () => {
    assert.deepEqual([age(-5), age(59_000), age(60_000), age(3 * H - 1), age(25 * H)], ['0s', '59s', '1m', '2h', '1d']);
  });
});

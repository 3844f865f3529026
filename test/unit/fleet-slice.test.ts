// The Fleet screen's slice: when a run this screen started stops being shown (the rows then say
// what it did), and what `/` matches. Pure transitions, no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fleetLoaded, fleetSlice, setFleetRun, visibleFleet } from '../../src/panes/fleet/slice.js';
import type { FleetRow } from '../../src/services/fleet/rows.js';
import { Store } from '../../src/state/store.js';

const T = Date.parse('2026-11-29T12:00:00Z');
const row = (environment: string, extra: Partial<FleetRow> = {}): FleetRow => ({ environment, account: '1', region: 'eu-west-1', playground: environment.startsWith('play-'), lock: { state: 'free' }, state: { exists: true }, attention: [], ...extra });

describe('the Fleet screen slice', () => {
  it('a run that succeeded is dropped by a read that started when or after it ended (the same millisecond too); a skipped one by r; a running one stays', () => {
    const sl = fleetSlice();
    setFleetRun(sl, 'a', { operation: 'drift', status: 'succeeded', text: 'drift check: no drift', startedAt: T - 10_000, endedAt: T });
    setFleetRun(sl, 'b', { operation: 'drift', status: 'running', text: 'drift check: terraform plan', startedAt: T - 5_000 });
    setFleetRun(sl, 'c', { operation: 'drift', status: 'skipped', text: 'drift check skipped: lock held', endedAt: T + 1 });
    fleetLoaded(sl, [row('a'), row('b'), row('c')], T);
    assert.deepEqual(Object.keys(sl.runs).sort(), ['b', 'c'], 'a ended at the read’s start: dropped; c ended after it: kept');
    fleetLoaded(sl, [row('a'), row('b'), row('c')], T + 2);
    assert.deepEqual(Object.keys(sl.runs).sort(), ['b', 'c'], 'why c was skipped is not in the rows: it stays');
    fleetLoaded(sl, [row('a'), row('b'), row('c')], T + 3, { clearFailed: true });
    assert.deepEqual(Object.keys(sl.runs), ['b'], 'the operator read again (r): cleared');
    assert.equal(sl.readAt, T + 3);
    assert.equal(sl.loaded, true);
  });

  it('a finished run is dropped, even by a read that started before it ended, once its row has its record', () => {
    const sl = fleetSlice();
    setFleetRun(sl, 'a', { operation: 'drift', status: 'succeeded', text: 'drift check: 1 resource changed outside Terraform', startedAt: T - 10_000, endedAt: T + 500 });
    setFleetRun(sl, 'play-x', { operation: 'destroy', status: 'succeeded', text: 'destroy: 3 resources destroyed', startedAt: T - 20_000, endedAt: T + 500 });
    setFleetRun(sl, 'b', { operation: 'drift', status: 'succeeded', text: 'drift check: no drift', startedAt: T - 10_000, endedAt: T + 500 });
    fleetLoaded(
      sl,
      [
        row('a', { drift: { checkedAt: new Date(T - 2_000).toISOString(), outcome: 'succeeded', changed: 1 } }),
        row('play-x', { last: { operation: 'destroy', outcome: 'succeeded', who: 'x', startedAt: new Date(T - 19_500).toISOString() } }),
        row('b', { drift: { checkedAt: new Date(T - 60_000).toISOString(), outcome: 'succeeded', changed: 0 } }),
      ],
      T,
    );
    assert.deepEqual(Object.keys(sl.runs), ['b'], 'b’s row shows an older check: its run stays until a later read');
  });

  it('/ matches any column’s words, on the Fleet screen only', () => {
    const store = new Store({ environment: 'fleet', account: '', region: '', backend: '', engine: '', credentials: '' }, 16, 'fleet');
    store.state.fleet.rows = [row('prod', { lock: { state: 'held', who: 'ci@runner-7', operation: 'apply', created: '', ageMs: 1 } }), row('play-old', { attention: ['playground up 10d'] }), row('dev')];
    store.state.filter = 'runner-7';
    assert.deepEqual(visibleFleet(store.state).map((r) => r.environment), ['prod']);
    store.state.filter = 'PLAYGROUND';
    assert.deepEqual(visibleFleet(store.state).map((r) => r.environment), ['play-old']);
    setFleetRun(store.state.fleet, 'dev', { operation: 'drift', status: 'running', text: 'drift check: refreshing', startedAt: T });
    store.state.filter = 'refreshing';
    assert.deepEqual(visibleFleet(store.state).map((r) => r.environment), ['dev']);
  });
});

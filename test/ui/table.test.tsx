import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import React from 'react';
import { highlightedRow, Table, type Column } from '../../src/ui/components/Table.js';

interface Row {
  id: string;
  n: number;
}
const rows: Row[] = Array.from({ length: 10_000 }, (_, i) => ({ id: `row-${String(i).padStart(5, '0')}`, n: i }));
let valueCalls = 0;
const columns: Column<Row>[] = [
  {
    title: 'ID',
    width: 12,
    value: (r) => {
      valueCalls++;
      return r.id;
    },
  },
  { title: 'N', width: 6, align: 'right', value: (r) => String(r.n) },
  { title: 'NOTE', width: 'flex', value: () => 'x' },
];

describe('windowed Table', () => {
  it('renders only the visible window of 10,000 rows', () => {
    valueCalls = 0;
    const ui = render(<Table columns={columns} rows={rows} height={10} width={60} selected={0} rowKey={(r) => r.id} />);
    const frame = ui.lastFrame() ?? '';
    const lines = frame.split('\n');
    assert.match(lines[0]!, /^ID\s+N NOTE/);
    assert.ok(frame.includes('row-00000') && frame.includes('row-00008'));
    assert.ok(!frame.includes('row-00009'), 'a row past the window was rendered');
    assert.match(frame, /1-9 of 10000/);
    assert.ok(valueCalls <= 9 * 2, `value() called ${valueCalls} times: rows off screen were rendered`);
    ui.unmount();
  });

  it('scrolls to keep the selection visible, and right-aligns numbers', () => {
    const ui = render(<Table columns={columns} rows={rows} height={10} width={60} selected={5000} rowKey={(r) => r.id} />);
    const frame = ui.lastFrame() ?? '';
    assert.ok(frame.includes('row-05000'));
    assert.match(frame, /row-05000\s+ 5000 x/);
    assert.match(frame, /4993-5001 of 10000/);
    ui.unmount();
  });

  it('highlights the selected row, clamped, and none for a negative selection', () => {
    assert.equal(highlightedRow(2, 5), 2);
    assert.equal(highlightedRow(9, 5), 4);
    assert.equal(highlightedRow(-1, 5), undefined);
    assert.equal(highlightedRow(0, 0), undefined);
    const none = render(<Table columns={columns} rows={rows.slice(0, 5)} height={6} width={40} selected={-1} rowKey={(r) => r.id} />);
    assert.ok((none.lastFrame() ?? '').includes('row-00000'), 'the window starts at the top');
    none.unmount();
  });

  it('says so when empty', () => {
    const ui = render(<Table columns={columns} rows={[]} height={5} width={40} selected={0} rowKey={(r) => r.id} empty="no resource matches" />);
    assert.match(ui.lastFrame() ?? '', /no resource matches/);
    ui.unmount();
  });
});

import { Box, Text } from 'ink';
import React, { useRef } from 'react';
import { truncate } from '../format.js';

/** One column of a {@link Table}. */
export interface Column<T> {
  /** Header text. */
  title: string;
  /** Width in terminal cells; the one `flex` column takes what is left. */
  width: number | 'flex';
  align?: 'left' | 'right';
  /** The cell's text (cut to the width). */
  value: (row: T) => string;
  /** The cell's colour, if any (an Ink colour name). */
  color?: (row: T) => string | undefined;
}

/** Props of {@link Table}. */
export interface TableProps<T> {
  columns: readonly Column<T>[];
  /** All rows (already filtered and sorted); only the visible window is rendered. */
  rows: readonly T[];
  /** Rows of the window (not counting the header line). */
  height: number;
  /** Total width in cells. */
  width: number;
  /** Index of the selected row (clamped); negative for none (the window stays at the top). */
  selected: number;
  /** Stable key of a row. */
  rowKey: (row: T) => string;
  /** Text shown when there are no rows. */
  empty?: string;
}

function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const t = truncate(text, width);
  return align === 'right' ? t.padStart(width) : t.padEnd(width);
}

/** The row to highlight for a `selected` prop: clamped into the rows; undefined when negative (none) or there are no rows. */
export function highlightedRow(selected: number, total: number): number | undefined {
  if (selected < 0 || total === 0) return undefined;
  return Math.min(selected, total - 1);
}

/** The window [start, end) of rows to render so that `selected` stays visible, given the previous start. */
export function windowFor(total: number, height: number, selected: number, previousStart: number): { start: number; end: number } {
  const h = Math.max(1, height);
  let start = Math.min(previousStart, Math.max(0, total - h));
  if (selected < start) start = selected;
  else if (selected >= start + h) start = selected - h + 1;
  start = Math.max(0, Math.min(start, Math.max(0, total - h)));
  return { start, end: Math.min(total, start + h) };
}

/**
 * A windowed table: a header line and at most `height` rows, whatever the number of rows
 * (Ink has no virtualized list; ink-table cannot load under Ink 8 and renders every row).
 * Rendering costs O(height), not O(rows).
 */
export function Table<T>(props: TableProps<T>): React.ReactElement {
  const { columns, rows, height, width, rowKey } = props;
  const startRef = useRef(0);
  const highlighted = highlightedRow(props.selected, rows.length);
  const none = highlighted === undefined;
  const selected = highlighted ?? 0;
  const overflow = rows.length > height;
  const { start, end } = windowFor(rows.length, overflow ? height - 1 : height, selected, startRef.current);
  startRef.current = start;
  const fixed = columns.reduce((n, c) => n + (c.width === 'flex' ? 0 : c.width + 1), 0);
  const flex = Math.max(8, width - fixed - 1);
  const widths = columns.map((c) => (c.width === 'flex' ? flex : c.width));
  const header = columns.map((c, i) => fit(c.title, widths[i]!, c.align)).join(' ');
  const visible = rows.slice(start, end);
  return (
    <Box flexDirection="column" width={width} height={height + 1}>
      <Text bold dimColor>
        {fit(header, width)}
      </Text>
      {rows.length === 0 ? (
        <Text dimColor>{props.empty ?? 'nothing to show'}</Text>
      ) : (
        visible.map((row, j) => {
          const i = start + j;
          const isSel = !none && i === selected;
          return (
            <Box key={rowKey(row)} width={width}>
              <Text inverse={isSel} wrap="truncate">
                {columns.map((c, k) => {
                  const color = c.color?.(row);
                  const cell = fit(c.value(row), widths[k]!, c.align) + (k < columns.length - 1 ? ' ' : '');
                  return color ? (
                    <Text key={k} color={color}>
                      {cell}
                    </Text>
                  ) : (
                    cell
                  );
                })}
              </Text>
            </Box>
          );
        })
      )}
      {overflow ? (
        <Text dimColor>{fit(`  ${start + 1}-${end} of ${rows.length}`, width)}</Text>
      ) : null}
    </Box>
  );
}

/**
 * The console rendered without a terminal, for the benchmarks: a terminal-like stdout of a fixed
 * size that counts (and, while `capturing`, keeps) what Ink writes, a raw-mode stdin, and the
 * console's own render options.
 */
import { PassThrough, Writable } from 'node:stream';
import type { Controller } from '../../src/state/controller.js';

const BSU = '\u001B[?2026h';
const ESU = '\u001B[?2026l';

/** A terminal-like stdout: isTTY, a fixed size; counts writes and bytes (synchronized-update markers left out), keeps the text while `capturing`, hands every chunk to `sink` when set. */
export class FakeTty extends Writable {
  readonly isTTY = true;
  bytes = 0;
  writes = 0;
  capturing = false;
  captured = '';
  /** Called with every chunk written (a virtual screen, bench/lib/vt.ts); keep it cheap: it runs inside Ink's render. */
  sink: ((chunk: string) => void) | undefined;
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super({ decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.sink?.(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    if (chunk !== BSU && chunk !== ESU) {
      this.writes++;
      if (this.capturing) this.captured += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    }
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    cb();
  }
}

/**
 * Renders the console's App for `controller` into a {@link FakeTty} of `columns` × `rows`, with the
 * console's render options; `onRender` gets Ink's render time (ms) of each frame.
 */
export async function renderHeadless(controller: Controller, o: { columns: number; rows: number; onRender: (m: { renderTime: number }) => void }): Promise<{ ink: import('ink').Instance; stdout: FakeTty }> {
  const React = await import('react');
  const { render } = await import('ink');
  const { App } = await import('../../src/ui/App.js');
  const { CONSOLE_RENDER_OPTIONS } = await import('../../src/cli/console.js');
  const stdout = new FakeTty(o.columns, o.rows);
  const stderr = new Writable({ write: (_c, _e, cb) => cb() });
  const stdin = Object.assign(new PassThrough(), {
    isTTY: true,
    setRawMode(): unknown {
      return stdin;
    },
    ref(): unknown {
      return stdin;
    },
    unref(): unknown {
      return stdin;
    },
  });
  const ink = render(React.createElement(App, { controller, size: { columns: o.columns, rows: o.rows } }), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    ...CONSOLE_RENDER_OPTIONS,
    onRender: o.onRender,
  });
  return { ink, stdout };
}

/**
 * The key context App builds for each key (src/ui/App.tsx `ctx`), for a console rendered by
 * {@link renderHeadless} at `columns` × `rows` with the status bar at the bottom: the body is the
 * rows − 1 − header and tabs (3) − the bottom area (2). Give it to `press(ctx, key)`.
 */
export async function keyContextFor(controller: Controller, columns: number, rows: number): Promise<() => import('../../src/ui/keys/action.js').ActionContext> {
  const { topView } = await import('../../src/state/store.js');
  const { paneOf } = await import('../../src/panes/index.js');
  const { viewInner, viewLength } = await import('../../src/ui/overlays/ViewOverlay.js');
  const bodyHeight = rows - 1 - 3 - 2;
  return () => {
    const st = controller.store.state;
    const v = topView(st);
    const page = v ? viewInner(bodyHeight) : Math.max(1, bodyHeight - 3);
    const maxScroll = v ? Math.max(0, viewLength(v, st, columns) - viewInner(bodyHeight)) : 0;
    return { state: st, store: controller.store, controller, page, rowCount: paneOf(st.pane).rowCount(st), maxScroll };
  };
}

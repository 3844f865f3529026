/**
 * A minimal virtual terminal for the benchmarks: it applies what Ink writes (text, CR/LF, the
 * cursor movements and erasures Ink's incremental renderer and the alternate screen use) to a
 * grid of cells, so a benchmark can check what is ON SCREEN after a frame, not only which bytes
 * were written (Ink 8 rewrites only the changed part of a changed line). Colours and modes are
 * ignored; every code point is one cell wide (the console draws no wide characters).
 */

export class VirtualScreen {
  private cells: string[][];
  private row = 0;
  private col = 0;
  private saved: [number, number] = [0, 0];
  /** An escape sequence cut between two writes. */
  private pending = '';

  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    this.cells = Array.from({ length: rows }, () => this.blank());
  }

  private blank(): string[] {
    return new Array<string>(this.columns).fill(' ');
  }

  /** The screen's rows as text (trailing blanks kept: a row is `columns` long). */
  lines(): string[] {
    return this.cells.map((r) => r.join(''));
  }

  /** The screen as text, rows joined by newlines, trailing blanks of each row removed. */
  text(): string {
    return this.cells.map((r) => r.join('').trimEnd()).join('\n');
  }

  private lineFeed(): void {
    this.col = 0;
    this.row++;
    if (this.row >= this.rows) {
      this.cells.shift();
      this.cells.push(this.blank());
      this.row = this.rows - 1;
    }
  }

  private eraseLine(row: number, from: number, to: number): void {
    const r = this.cells[row];
    if (!r) return;
    for (let c = Math.max(0, from); c < Math.min(this.columns, to); c++) r[c] = ' ';
  }

  private csi(params: string, final: string): void {
    const priv = params.startsWith('?');
    const nums = (priv ? params.slice(1) : params).split(';').map((p) => (p === '' ? Number.NaN : Number(p)));
    const n = (i: number, d: number): number => (Number.isFinite(nums[i]!) ? nums[i]! : d);
    const clampRow = (r: number) => Math.max(0, Math.min(this.rows - 1, r));
    const clampCol = (c: number) => Math.max(0, Math.min(this.columns - 1, c));
    if (priv) {
      // The alternate screen starts blank.
      if (final === 'h' && (nums[0] === 1049 || nums[0] === 47 || nums[0] === 1047)) {
        this.cells = Array.from({ length: this.rows }, () => this.blank());
        this.row = 0;
        this.col = 0;
      }
      return;
    }
    switch (final) {
      case 'A':
        this.row = clampRow(this.row - Math.max(1, n(0, 1)));
        break;
      case 'B':
        this.row = clampRow(this.row + Math.max(1, n(0, 1)));
        break;
      case 'C':
        this.col = clampCol(this.col + Math.max(1, n(0, 1)));
        break;
      case 'D':
        this.col = clampCol(this.col - Math.max(1, n(0, 1)));
        break;
      case 'E':
        this.row = clampRow(this.row + Math.max(1, n(0, 1)));
        this.col = 0;
        break;
      case 'F':
        this.row = clampRow(this.row - Math.max(1, n(0, 1)));
        this.col = 0;
        break;
      case 'G':
        this.col = clampCol(n(0, 1) - 1);
        break;
      case 'H':
      case 'f':
        this.row = clampRow(n(0, 1) - 1);
        this.col = clampCol(n(1, 1) - 1);
        break;
      case 'J': {
        const mode = n(0, 0);
        if (mode === 0) {
          this.eraseLine(this.row, this.col, this.columns);
          for (let r = this.row + 1; r < this.rows; r++) this.eraseLine(r, 0, this.columns);
        } else if (mode === 1) {
          for (let r = 0; r < this.row; r++) this.eraseLine(r, 0, this.columns);
          this.eraseLine(this.row, 0, this.col + 1);
        } else for (let r = 0; r < this.rows; r++) this.eraseLine(r, 0, this.columns);
        break;
      }
      case 'K': {
        const mode = n(0, 0);
        if (mode === 0) this.eraseLine(this.row, this.col, this.columns);
        else if (mode === 1) this.eraseLine(this.row, 0, this.col + 1);
        else this.eraseLine(this.row, 0, this.columns);
        break;
      }
      default:
        // SGR (m) and anything else: no effect on the text.
        break;
    }
  }

  /** Applies a chunk of output. */
  write(chunk: string): void {
    const s = this.pending + chunk;
    this.pending = '';
    const len = s.length;
    let i = 0;
    while (i < len) {
      const ch = s[i]!;
      if (ch === '\u001B') {
        if (i + 1 >= len) {
          this.pending = s.slice(i);
          return;
        }
        const next = s[i + 1]!;
        if (next === '[') {
          let j = i + 2;
          while (j < len && !(s.charCodeAt(j) >= 0x40 && s.charCodeAt(j) <= 0x7e)) j++;
          if (j >= len) {
            this.pending = s.slice(i);
            return;
          }
          this.csi(s.slice(i + 2, j), s[j]!);
          i = j + 1;
        } else if (next === ']') {
          // OSC: up to BEL or ESC \.
          let j = i + 2;
          while (j < len && s[j] !== '\u0007' && !(s[j] === '\u001B' && s[j + 1] === '\\')) j++;
          if (j >= len) {
            this.pending = s.slice(i);
            return;
          }
          i = s[j] === '\u0007' ? j + 1 : j + 2;
        } else {
          if (next === '7') this.saved = [this.row, this.col];
          else if (next === '8') [this.row, this.col] = this.saved;
          i += 2;
        }
        continue;
      }
      if (ch === '\n') this.lineFeed();
      else if (ch === '\r') this.col = 0;
      else if (ch === '\b') this.col = Math.max(0, this.col - 1);
      else if (ch === '\t') this.col = Math.min(this.columns - 1, (Math.floor(this.col / 8) + 1) * 8);
      else if (ch >= ' ') {
        // A character past the last column wraps to the next row first.
        if (this.col >= this.columns) this.lineFeed();
        const code = s.codePointAt(i)!;
        const glyph = String.fromCodePoint(code);
        this.cells[this.row]![this.col] = glyph;
        this.col++;
        i += glyph.length;
        continue;
      }
      i++;
    }
  }
}

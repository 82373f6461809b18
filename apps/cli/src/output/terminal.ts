/** Where the CLI writes, and whether a person is watching (colours, spinners) or a script is. */
export interface Terminal {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** stdout is a terminal: tables may be coloured, progress may redraw one line. */
  interactive: boolean;
  /** Columns of the terminal, for cutting long cells; undefined when not a terminal. */
  columns?: number;
}

export function processTerminal(): Terminal {
  const interactive = process.stdout.isTTY === true && process.env.TERM !== 'dumb';
  return { out: process.stdout, err: process.stderr, interactive, ...(interactive && { columns: process.stdout.columns }) };
}

/** Colours only for a person at a terminal, and never when NO_COLOR is set (no-color.org). */
export function styles(term: Terminal): Record<'bold' | 'dim' | 'red' | 'green' | 'yellow', (s: string) => string> {
  const on = term.interactive && !process.env.NO_COLOR;
  const wrap =
    (open: number, close: number) =>
    (s: string): string =>
      on ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39) };
}

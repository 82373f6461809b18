import type { Terminal } from './terminal';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW_MS = 100;

export interface ProgressState {
  /** Changes when something worth a line in a log happens (a new phase); not with the clock. */
  key: string;
  /** The line as it reads now (elapsed time ticking, bytes pulled). */
  render: () => string;
}

/**
 * One status line. At a terminal it redraws in place with a spinner; anywhere else (a pipe, a
 * CI log) it prints a line only when the state's key changes, so a log reads as the steps.
 */
export class ProgressLine {
  private state: ProgressState | undefined;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;
  private readonly started = Date.now();

  constructor(private readonly term: Terminal) {}

  update(state: ProgressState): void {
    const changed = state.key !== this.state?.key;
    this.state = state;
    if (this.term.interactive) {
      this.timer ??= setInterval(() => this.draw(), REDRAW_MS);
      this.draw();
    } else if (changed) {
      this.term.out.write(`[${((Date.now() - this.started) / 1000).toFixed(1).padStart(6)} s] ${state.render()}\n`);
    }
  }

  /** Output that belongs above the status line (the run's logs). */
  write(chunk: Uint8Array | string): void {
    this.clear();
    this.term.out.write(chunk);
    if (this.term.interactive && this.state) {
      // Keep the status on a line of its own even when the output did not end with a newline.
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (!text.endsWith('\n')) this.term.out.write('\n');
      this.draw();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private draw(): void {
    if (!this.state) return;
    let line = `${FRAMES[this.frame++ % FRAMES.length]} ${this.state.render()}`;
    const cols = this.term.columns;
    if (cols && line.length >= cols) line = `${line.slice(0, cols - 2)}…`;
    this.term.out.write(`\r\x1b[K${line}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.term.out.write('\r\x1b[K');
    this.drawn = false;
  }
}

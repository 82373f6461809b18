import { StringDecoder } from 'node:string_decoder';
import { stripControls } from '@modelrun/contracts';

/**
 * What the CLI prints that came from elsewhere (a run's error, its logs) is made inert first:
 * a model's output or a file name could otherwise hold escape sequences that retitle or clear
 * the terminal, or a CR that overwrites a line with a forged one. See stripControls.
 */
export function printable(text: string): string {
  return stripControls(text);
}

/** An escape sequence longer than this is not waited for across chunks: it is let through to stripControls as it is. */
const MAX_HELD = 256;

/**
 * printable() for a stream of bytes (a run's logs, chunk by chunk): UTF-8 characters and escape
 * sequences split across chunks are held until their end comes, so neither half slips through.
 */
export class PrintableStream {
  private readonly decoder = new StringDecoder('utf8');
  private held = '';

  write(chunk: Uint8Array | string): string {
    const text = this.held + (typeof chunk === 'string' ? chunk : this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    const cut = unfinishedTail(text);
    this.held = text.slice(cut);
    return printable(text.slice(0, cut));
  }

  end(): string {
    const rest = this.held + this.decoder.end();
    this.held = '';
    return printable(rest);
  }
}

/** Where an escape sequence (or a CR that a LF may follow) that is not finished yet starts; text.length if none. */
function unfinishedTail(text: string): number {
  if (text.endsWith('\r')) return text.length - 1;
  const esc = Math.max(text.lastIndexOf('\u001b'), text.lastIndexOf('\u009b'));
  if (esc < 0 || text.length - esc > MAX_HELD) return text.length;
  const seq = text.slice(esc);
  const finished = /^\u001b\[[0-?]*[ -/]*[@-~]|^\u009b[0-?]*[ -/]*[@-~]|^\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|^\u001b[@-Z\\^_]/u.test(seq);
  // An OSC's ESC \ ends it: the ESC inside is not a new sequence.
  const endsOsc = seq === '\u001b\\' && /\u001b\][^\u0007\u001b]*$/u.test(text.slice(0, esc));
  return finished || endsOsc ? text.length : esc;
}

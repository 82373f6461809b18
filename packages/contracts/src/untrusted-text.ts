/**
 * Text a model wrote (file names, link targets, score files) ends up in messages people read in
 * terminals and pages. A terminal acts on control characters (ESC starts sequences that move the
 * cursor, clear the screen, retitle the window; CR rewrites a line) and bidi controls reorder
 * what is shown, so such text could forge what a person sees. These make it inert.
 */

/** C0 controls, DEL, C1 controls (U+009B is a one-character CSI), and the bidi embeddings, overrides, isolates and marks. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** The same as UNSAFE, but leaving newlines and tabs: for multi-line text such as logs. */
const UNSAFE_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** ANSI escape sequences: CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ST), and other two-character escapes. */
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/gu;

const hex = (c: string): string => {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** Writes each control character as a visible escape (`\x1b`, `\u202e`); the rest is left as it is. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, hex);
}

/**
 * Untrusted text quoted for a message: in double quotes, control characters escaped, backslashes
 * and quotes escaped so the quotes cannot be closed from inside, and cut to `max` characters.
 */
export function quoteUntrusted(text: string, max = 80): string {
  const chars = [...text];
  const cut = chars.length > max ? `${chars.slice(0, max).join('')}...` : text;
  return `"${escapeControls(cut.replace(/[\\"]/g, (c) => `\\${c}`))}"`;
}

/**
 * Text from elsewhere made safe to print to a terminal: escape sequences dropped whole, other
 * control characters dropped; line breaks and tabs kept (a lone CR, a progress bar's redraw,
 * becomes a line break, so nothing overwrites what was printed).
 */
export function stripControls(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n/g, '\n').replace(/\r/g, '\n').replace(UNSAFE_BUT_LINES, '');
}

/** A name the untrusted side chose (a file, a metric): as it is when plain, else quoted. */
export function untrustedName(name: string, max = 80): string {
  return /^[A-Za-z0-9_.:/@+-]+$/.test(name) && name.length <= max ? name : quoteUntrusted(name, max);
}

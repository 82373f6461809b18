/**
 * The documentation's links, judged without a network: every relative link must name a file of
 * the repository and every #anchor a heading of it, by GitHub's own anchor rules. External
 * links are gathered, never fetched (this machine, like CI, may have no way out).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface Link {
  /** The link's destination as written, e.g. `docs/api.md#the-http-api`. */
  target: string;
  /** 1-based line of the document it is on. */
  line: number;
}

export interface BrokenLink extends Link {
  file: string;
  why: string;
}

/**
 * GitHub's anchor for a heading's text (github-slugger): lower case; every character that is not
 * a letter, mark, number, connector (`_`), hyphen or space dropped; each space a hyphen.
 */
export function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** A heading's text as GitHub renders it: code spans, links, images, emphasis and tags unwrapped. */
function headingText(raw: string): string {
  return raw
    .replace(/\s+#+\s*$/, '') // a closing run of #
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim();
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((line, i) => {
    const open = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (open) {
      if (!fence) fence = open[1]![0]!.repeat(open[1]!.length);
      else if (line.trim().startsWith(fence)) fence = undefined;
      return;
    }
    if (!fence) out.push([line, i + 1]);
  });
  return out;
}

/** Every anchor a document offers: its headings' slugs (repeats numbered as GitHub does) and explicit ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [line] of proseLines(markdown)) {
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
    const h = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line);
    if (!h) continue;
    const base = githubSlug(headingText(h[1]!));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Inline links and images, reference definitions and autolinks, outside code. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  for (const [raw, line] of proseLines(markdown)) {
    // Code spans hold examples, not links; keep their place so a link around one still parses.
    const text = raw.replace(/(`+)(?:(?!\1).)+?\1/g, 'code');
    for (const m of text.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ target: m[1]!, line });
    }
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text);
    if (def) links.push({ target: def[1]!, line });
    for (const m of text.matchAll(/<(https?:\/\/[^>\s]+)>/g)) links.push({ target: m[1]!, line });
  }
  return links;
}

export const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

/**
 * Judges one document's links against the repository at `root`; returns what is broken.
 * `anchors` caches each markdown file's anchors across documents.
 */
export function brokenLinks(root: string, file: string, anchors = new Map<string, Set<string>>()): BrokenLink[] {
  const abs = resolve(root, file);
  const anchorsIn = (path: string): Set<string> => {
    let set = anchors.get(path);
    if (!set) anchors.set(path, (set = anchorsOf(readFileSync(path, 'utf8'))));
    return set;
  };
  const broken: BrokenLink[] = [];
  for (const link of linksOf(readFileSync(abs, 'utf8'))) {
    if (isExternal(link.target)) continue;
    const bad = (why: string): void => void broken.push({ ...link, file, why });
    const hash = link.target.indexOf('#');
    const pathPart = decodeURIComponent(hash < 0 ? link.target : link.target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(link.target.slice(hash + 1));
    const dest = pathPart === '' ? abs : pathPart.startsWith('/') ? join(root, pathPart) : resolve(dirname(abs), pathPart);
    const rel = relative(root, dest);
    if (rel.startsWith('..') || rel.split(sep).includes('node_modules')) {
      bad('points outside the repository');
      continue;
    }
    if (!existsSync(dest)) {
      bad(`no such file: ${rel}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(dest).isDirectory()) bad('an anchor on a folder');
    else if (dest.endsWith('.md')) {
      if (!anchorsIn(dest).has(anchor)) bad(`no heading #${anchor} in ${rel}`);
    } else if (!/^L\d+(-L\d+)?$/.test(anchor)) bad(`#${anchor} is not a line anchor (#L12) and ${rel} is not markdown`);
  }
  return broken;
}

/** The markdown files of `dir` (relative to `root`), recursively, skipping node_modules. */
export function markdownUnder(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md') && !f.split(sep).includes('node_modules'))
    .map((f) => join(dir, f))
    .sort();
}

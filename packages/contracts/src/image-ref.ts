import { z } from 'zod';

// The grammar of github.com/distribution/reference, which the Docker engine applies.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export const IMAGE_REF_MAX = 255;

export interface ImageRef {
  /** Repository, with registry when one was given: `registry.example:5000/team/model`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(ref: string): ImageRef | undefined {
  if (ref.length > IMAGE_REF_MAX) return undefined;
  const m = REFERENCE.exec(ref);
  if (!m) return undefined;
  const [, repository, tag, digest] = m;
  if (!repository || repository.length > IMAGE_REF_MAX) return undefined;
  return { repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/**
 * The reference the engine is asked to pull and run. Without a tag or digest the Engine API
 * pulls every tag of a repository, so `:latest` is made explicit, as the docker CLI does.
 */
export function pinnedImageRef(ref: string): string {
  const parsed = parseImageRef(ref);
  if (!parsed) throw new Error(`not an image reference: ${ref}`);
  if (parsed.digest) return ref;
  return parsed.tag ? ref : `${ref}:latest`;
}

export const ImageReference = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, 'must not be empty')
  .max(IMAGE_REF_MAX, `must be at most ${IMAGE_REF_MAX} characters`)
  .refine((v) => parseImageRef(v) !== undefined, 'is not a valid image reference (e.g. registry.example/team/model:1.0)');

/**
 * `ALLOWED_IMAGES` patterns, matched against the reference as submitted.
 * `*` matches any run of characters except `/`; `**` matches anything, `/` included.
 * `team/model` alone matches `team/model` with any tag or digest.
 */
export function compileImagePattern(pattern: string): RegExp {
  let body = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        body += '.*';
        i++;
      } else {
        body += '[^/]*';
      }
    } else {
      body += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const hasVersion = /[:@][^/]*$/.test(pattern) || pattern.endsWith('*');
  return new RegExp(`^${body}${hasVersion ? '' : '(?:[:@].*)?'}$`);
}

export class ImageAllowList {
  private readonly patterns: RegExp[];

  /** An empty list allows every image. */
  constructor(readonly sources: readonly string[]) {
    this.patterns = sources.map(compileImagePattern);
  }

  get restricted(): boolean {
    return this.patterns.length > 0;
  }

  allows(ref: string): boolean {
    return !this.restricted || this.patterns.some((p) => p.test(ref));
  }
}

import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import type { Response } from 'supertest';

export interface Doc {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: { $ref: string } }> }> }>>;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** Every route Express would answer, as `METHOD /path` in OpenAPI's `{param}` form. */
export function expressRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          for (const method of Object.keys(layer.route.methods)) if (method !== '_all') out.push(`${method.toUpperCase()} ${openApiPath(prefix + p)}`);
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return [...new Set(out)];
}

function openApiPath(p: string): string {
  const path = p.length > 1 ? p.replace(/\/$/, '') : p;
  return path.replace(/:(\w+)/g, '{$1}');
}

/**
 * Checks real responses against the document: the operation and status must be described,
 * and a JSON body must validate against its schema (JSON Schema 2020-12, by ajv: the document
 * itself is what is checked, not the zod schemas it came from).
 */
export class ResponseChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  /** `METHOD /template status` of every response checked. */
  readonly seen = new Set<string>();

  constructor(readonly doc: Doc) {
    addFormats(this.ajv);
    this.ajv.addSchema(doc as object, 'api');
  }

  check(method: string, url: string, res: Response): void {
    const template = this.template(new URL(url, 'http://x').pathname);
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${url}: not in the document`);
    const described = op.responses[String(res.status)];
    if (!described) throw new Error(`${method} ${template}: status ${res.status} is not described (${JSON.stringify(res.body)})`);
    this.seen.add(`${method.toUpperCase()} ${template} ${res.status}`);
    const ref = described.content?.['application/json']?.schema?.$ref;
    if (!ref) return;
    if (!/application\/json/.test(String(res.headers['content-type']))) throw new Error(`${method} ${template} ${res.status}: expected JSON, got ${res.headers['content-type']}`);
    const validate = this.ajv.getSchema(`api${ref}`);
    if (!validate) throw new Error(`no schema at ${ref}`);
    if (!validate(res.body)) {
      throw new Error(`${method} ${template} ${res.status}: the body does not match ${ref}: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`);
    }
  }

  private template(pathname: string): string {
    for (const t of Object.keys(this.doc.paths)) {
      const re = new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`);
      if (re.test(pathname)) return t;
    }
    throw new Error(`${pathname}: no path of the document matches`);
  }
}

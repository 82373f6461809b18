import type { z } from 'zod';
import { CliError, EXIT } from '../errors';
import { ErrorBody } from '@modelrun/contracts';

export interface ClientOptions {
  /** The API's base URL (MODELRUN_URL, --url). */
  url: string;
  /** A bearer token (MODELRUN_TOKEN, --token); none for an API without tokens. */
  token?: string;
}

/**
 * The modelrun HTTP API, as the CLI uses it. Every answer is parsed with the contract's schema,
 * and every failure becomes a CliError that says what to do about it.
 */
export class ApiClient {
  readonly base: URL;

  constructor(private readonly opts: ClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.url);
    } catch {
      throw new CliError(`${JSON.stringify(opts.url)} is not a URL (set MODELRUN_URL or --url, e.g. http://127.0.0.1:8081)`, EXIT.usage, 'usage');
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CliError(`${opts.url}: only http:// and https:// URLs`, EXIT.usage, 'usage');
    this.base = base;
  }

  async get<T>(path: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    return this.parse(await this.send('GET', path, { ...(signal && { signal }) }), schema);
  }

  async post<T>(path: string, body: unknown, schema: z.ZodType<T>, headers?: Record<string, string>): Promise<T> {
    return this.parse(await this.send('POST', path, { body, ...(headers && { headers }) }), schema);
  }

  async patch<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    return this.parse(await this.send('PATCH', path, { body }), schema);
  }

  async delete<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    return this.parse(await this.send('DELETE', path), schema);
  }

  /** A plain-text body as it arrives (logs, `?follow=true`). */
  async *stream(path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const res = await this.send('GET', path, { ...(signal && { signal }) });
    if (!res.body) return;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) yield chunk;
  }

  private async send(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const { body, signal } = opts;
    const url = new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base : `${this.base.href}/`);
    const headers: Record<string, string> = { Accept: 'application/json, text/plain', ...opts.headers };
    if (this.opts.token) headers.Authorization = `Bearer ${this.opts.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }), ...(signal && { signal }) });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new CliError(`cannot reach the modelrun API at ${this.base.origin}: ${networkReason(err)} (is it running? set MODELRUN_URL or --url)`, EXIT.unavailable, 'network');
    }
    if (res.ok) return res;
    throw await this.failure(res);
  }

  private async failure(res: Response): Promise<CliError> {
    const text = await res.text().catch(() => '');
    let parsed: ErrorBody | undefined;
    try {
      parsed = ErrorBody.parse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    const said = parsed?.error.message ?? `HTTP ${res.status}`;
    const code = parsed?.error.code ?? `http_${res.status}`;
    if (res.status === 401) {
      const hint = this.opts.token ? 'the token was refused: check MODELRUN_TOKEN or --token' : 'this API needs a token: set MODELRUN_TOKEN or --token';
      return new CliError(`${hint} (${said})`, EXIT.unavailable, code);
    }
    if (res.status === 400) return new CliError(`the API refused the request: ${said}`, EXIT.usage, code);
    const retry = res.headers.get('retry-after');
    return new CliError(`${said}${retry ? ` (retry after ${retry} s)` : ''}`, EXIT.unavailable, code);
  }

  private async parse<T>(res: Response, schema: z.ZodType<T>): Promise<T> {
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CliError(`${this.base.origin} answered something that is not JSON: is it a modelrun API?`, EXIT.unavailable, 'bad_response');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(
        `${this.base.origin} answered in a shape this CLI does not know (${issue?.path.join('.') || 'body'}: ${issue?.message}): is the CLI older than the API?`,
        EXIT.unavailable,
        'bad_response',
      );
    }
    return parsed.data;
  }
}

/** Transient: worth retrying while waiting on a run (the API restarting, Redis blinking). */
export function isTransient(err: unknown): boolean {
  return err instanceof CliError && ['network', 'unavailable', 'rate_limited', 'http_502', 'http_503', 'http_504'].includes(err.code);
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'no such host';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timed out connecting';
    case 'ECONNRESET':
      return 'the connection was reset';
    default:
      return cause?.message ?? (err as Error).message;
  }
}

import type { Command } from 'commander';
import { loadClientConfig } from '@modelrun/config';
import { ApiClient } from './api/client';
import { type Terminal, styles } from './output/terminal';

/** What every API command works with: the client, where to write, and for whom. */
export interface Context {
  api: ApiClient;
  term: Terminal;
  /** --json: one JSON document on stdout, for scripts; no tables, no progress. */
  json: boolean;
  style: ReturnType<typeof styles>;
}

export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** Flags over MODELRUN_URL / MODELRUN_TOKEN over the defaults. */
export function contextOf(cmd: Command, term: Terminal, env: NodeJS.ProcessEnv): Context {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const config = loadClientConfig(env);
  const token = opts.token ?? config.token;
  const api = new ApiClient({ url: opts.url ?? config.url, ...(token && { token }) });
  return { api, term, json: opts.json === true, style: styles(term) };
}

/** Writes a value for scripts, one JSON document. */
export function printJson(ctx: Context, value: unknown): void {
  ctx.term.out.write(`${JSON.stringify(value, null, 2)}\n`);
}

import type { Command } from 'commander';
import { type Context, contextOf } from './context';
import type { Terminal } from './output/terminal';

/** What the commands are given by main: where to write, the environment, Ctrl-C, the result. */
export interface CliDeps {
  term: Terminal;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: watching stops, the run goes on. */
  signal: AbortSignal;
  /** The exit status the command's action chose. */
  result: { code: number };
}

/**
 * A commander action over the API: builds the context from the global flags and the
 * environment, runs the command, keeps its exit status. Errors go up to runCli.
 */
export function action<A extends unknown[]>(deps: CliDeps, run: (ctx: Context, ...args: A) => Promise<number>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args.at(-1) as Command;
    deps.result.code = await run(contextOf(cmd, deps.term, deps.env), ...(args.slice(0, -1) as A));
  };
}

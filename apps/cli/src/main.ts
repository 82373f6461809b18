import { EXIT } from './errors';
import { processTerminal } from './output/terminal';
import { runCli } from './program';

const cancel = new AbortController();
// The first Ctrl-C stops what the command is doing, politely (watching ends, validate removes its
// container); a second one leaves at once.
const interrupt = (): void => {
  if (cancel.signal.aborted) process.exit(EXIT.interrupted);
  cancel.abort();
};
// `modelrun models | head -1`: the reader left; there is nobody to tell anything to.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

runCli(process.argv.slice(2), { term: processTerminal(), env: process.env, signal: cancel.signal, result: { code: EXIT.ok } }).then(
  (code) => {
    // Exit once stdout has drained: the Docker client and fetch keep connections alive.
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`modelrun: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(EXIT.unavailable);
  },
);

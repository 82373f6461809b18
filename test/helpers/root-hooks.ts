import { closeOpenWatches } from './container-watch';
import { stopInfra } from './infra';

/** How long the run may take to exit on its own once every test and hook is done. */
const EXIT_GRACE_MS = 10_000;

/**
 * Mocha root hooks: what a test may leave open is closed here, so mocha exits on its own (no
 * `exit: true`). Anything still open after that is a leak: rather than hang CI, the run then
 * says what is open and fails.
 */
export const mochaHooks = {
  afterEach(): void {
    closeOpenWatches();
  },
  async afterAll(): Promise<void> {
    await stopInfra();
    // Unref'd: it fires only if something else keeps the process alive.
    setTimeout(() => {
      const open = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
      process.stderr.write(`\nthe test run did not exit ${EXIT_GRACE_MS / 1000} s after its last test: still open: ${open.join(', ')}\n`);
      // Mocha sets the exit code (its failure count) in an 'exit' listener: this one runs after it.
      process.on('exit', () => (process.exitCode = 1));
      process.exit(1);
    }, EXIT_GRACE_MS).unref();
  },
};

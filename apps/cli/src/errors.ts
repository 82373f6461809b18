/**
 * The CLI's exit statuses, for scripts:
 * 0 done (a run waited for succeeded; an image passed validation),
 * 1 the run did not succeed (failed or cancelled) or the image does not keep the contract,
 * 2 the command line is wrong, 3 the API (or Docker, for validate) refused or could not be reached,
 * 130 interrupted.
 */
export const EXIT = { ok: 0, runFailed: 1, usage: 2, unavailable: 3, interrupted: 130 } as const;

/** An error the CLI reports in one sentence and an exit status, never with a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** The API's error code, when the API said no (`not_found`, `unauthorized`, ...). */
    readonly code: string = exitCode === EXIT.usage ? 'usage' : 'unavailable',
  ) {
    super(message);
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT.usage, 'usage');

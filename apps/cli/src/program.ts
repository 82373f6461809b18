import { Command, CommanderError } from 'commander';
import type { CliDeps } from './cli-deps';
import { benchmarksCommand, leaderboardCommand } from './commands/benchmarks';
import { cancelCommand, logsCommand, rerunCommand, runCommand } from './commands/runs';
import { modelCommand, modelsCommand } from './commands/models';
import { auditCommand, teamsCommand, tokensCommand, usersCommand, whoamiCommand } from './commands/people';
import { submitCommand } from './commands/submit';
import { validateCommand } from './commands/validate';
import { hostsCommand } from './commands/hosts';
import { queuesCommand } from './commands/queues';
import { CliError, EXIT } from './errors';
import { selectCommand } from './commands/select';
import { rescoreCommand } from './commands/rescore';

const EPILOG = `
Environment: MODELRUN_URL (default http://127.0.0.1:8081) and MODELRUN_TOKEN, or --url and --token.
Exit status: 0 done (a run waited for succeeded), 1 the run did not succeed (or the image fails
validation), 2 the command line is wrong, 3 the API could not be reached or refused, 130 interrupted.`;

export function buildProgram(deps: CliDeps): Command {
  const program = new Command('modelrun')
    .description('Submit model images to modelrun, watch their runs, read the leaderboard.')
    .version('0.1.0')
    .option('--url <url>', 'the modelrun API (overrides MODELRUN_URL)')
    .option('--token <token>', 'an API token (overrides MODELRUN_TOKEN)')
    .option('--json', 'print JSON for scripts instead of tables and progress')
    .addHelpText('after', EPILOG)
    .showHelpAfterError('(modelrun --help lists the commands and options)')
    .configureOutput({ writeOut: (s) => deps.term.out.write(s), writeErr: (s) => deps.term.err.write(s) })
    .exitOverride();
  for (const make of [
    submitCommand,
    modelsCommand,
    modelCommand,
    benchmarksCommand,
    leaderboardCommand,
    runCommand,
    logsCommand,
    cancelCommand,
    rerunCommand,
    validateCommand,
    whoamiCommand,
    usersCommand,
    teamsCommand,
    tokensCommand,
    auditCommand,
    hostsCommand,
    queuesCommand,
    selectCommand,
    rescoreCommand,
  ]) {
    program.addCommand(
      make(deps)
        .exitOverride()
        .configureOutput({ writeOut: (s) => deps.term.out.write(s), writeErr: (s) => deps.term.err.write(s) }),
    );
  }
  return program;
}

/** Runs one command line (without `node` and the script) and returns its exit status. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const program = buildProgram(deps);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return deps.result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are answers, not errors; commander has printed the rest already.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    if (!(err instanceof CliError)) throw err;
    if (json) deps.term.out.write(`${JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2)}\n`);
    deps.term.err.write(`modelrun: ${err.message}\n`);
    return err.exitCode;
  }
}

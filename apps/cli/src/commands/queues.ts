import { Command } from 'commander';
import { QueueFigures, QueueList } from '@modelrun/contracts';
import { type CliDeps, action } from '../cli-deps';
import { type Context, printJson } from '../context';
import { EXIT, usageError } from '../errors';
import { seconds } from '../output/format';
import { formatTable } from '../output/table';

// The API's own rule for a queue name (apps/api/src/routes/queues.ts), so a typo is a usage error here.
const QUEUE_NAME = /^[A-Za-z0-9@=,._:-]{1,200}$/;

const queueName = (name: string): string => {
  if (!QUEUE_NAME.test(name)) throw usageError(`${JSON.stringify(name)} is not a queue name (modelrun queues lists them)`);
  return encodeURIComponent(name);
};

const table = (queues: QueueFigures[]): string =>
  queues.length === 0
    ? 'no queues\n'
    : formatTable(
        ['QUEUE', 'PAUSED', 'WAITING', 'RUNNING', 'OLDEST WAIT'],
        queues.map((q) => [q.name, q.paused ? 'paused' : 'no', String(q.waiting), String(q.running), q.waiting > 0 ? seconds(q.oldestWaitingSeconds * 1000) : '-']),
      );

/**
 * Pauses or resumes one queue, or with --all every queue `GET /v1/queues` lists. The names are
 * read first so a wrong name or a refusal stops before anything changes.
 */
async function setPaused(ctx: Context, name: string | undefined, all: boolean, pause: boolean): Promise<number> {
  if (all === (name !== undefined)) throw usageError(`name one queue or give --all, not ${all ? 'both' : 'neither'}`);
  const names = all ? (await ctx.api.get('/v1/queues', QueueList)).queues.map((q) => q.name) : [name!];
  const paths = names.map((n) => `/v1/queues/${queueName(n)}/${pause ? 'pause' : 'resume'}`);
  const done: QueueFigures[] = [];
  for (const path of paths) done.push(await ctx.api.post(path, {}, QueueFigures));
  if (ctx.json) printJson(ctx, { queues: done });
  else
    ctx.term.out.write(done.map((q) => `queue ${q.name} is ${q.paused ? 'paused: no worker of any host takes runs from it' : 'taking runs'} (${q.waiting} waiting, ${q.running} running)\n`).join(''));
  return EXIT.ok;
}

/** `modelrun queues`, `queues pause NAME|--all`, `queues resume NAME|--all` (operators and admins). */
export function queuesCommand(deps: CliDeps): Command {
  const queues = new Command('queues').description("the fleet's queues: waiting and running runs, the oldest wait; pause and resume a queue for every host (operators, admins)");
  queues
    .command('list', { isDefault: true })
    .description('every queue: paused or not, runs waiting and running, how long the oldest has waited')
    .action(
      action(deps, async (ctx) => {
        const list = await ctx.api.get('/v1/queues', QueueList);
        if (ctx.json) printJson(ctx, list);
        else ctx.term.out.write(table(list.queues));
        return EXIT.ok;
      }),
    );
  queues
    .command('pause')
    .description('pause a queue for the whole fleet: no worker of any host takes new runs from it; running runs finish, submissions still queue')
    .argument('[name]', 'the queue (from modelrun queues), e.g. runs')
    .option('--all', 'every queue: stops the whole fleet taking runs')
    .action(action(deps, (ctx, name: string | undefined, opts: { all?: boolean }) => setPaused(ctx, name, opts.all === true, true)));
  queues
    .command('resume')
    .description("resume a paused queue: the fleet's workers take runs from it again")
    .argument('[name]', 'the queue (from modelrun queues)')
    .option('--all', 'every queue: the whole fleet takes runs again')
    .action(action(deps, (ctx, name: string | undefined, opts: { all?: boolean }) => setPaused(ctx, name, opts.all === true, false)));
  return queues;
}

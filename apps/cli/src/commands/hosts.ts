import { Command } from 'commander';
import { HostId, HostList, type HostView, HostView as HostViewSchema } from '@modelrun/contracts';
import { type CliDeps, action } from '../cli-deps';
import { type Context, printJson } from '../context';
import { EXIT, usageError } from '../errors';
import { ago, bytes, seconds } from '../output/format';
import { formatFields, formatTable } from '../output/table';

const hostId = (id: string): string => {
  if (!HostId.safeParse(id).success) throw usageError(`${JSON.stringify(id)} is not a host id (1-128 of A-Z a-z 0-9 . _ : -)`);
  return encodeURIComponent(id);
};

function show<T>(ctx: Context, value: T, human: (v: T) => string): number {
  if (ctx.json) printJson(ctx, value);
  else ctx.term.out.write(human(value));
  return EXIT.ok;
}

/** `live`, or `lost 5m ago`; then the drain state when it is not active. */
const stateOf = (h: HostView): string => `${h.state === 'lost' ? `lost ${ago(h.lostAt)}` : 'live'}${h.drain === 'active' ? '' : `, ${h.drain}`}`;
const labelsOf = (h: HostView): string =>
  Object.entries(h.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
const gpusOf = (h: HostView): string => (h.gpus ? `${h.gpus.free} free / ${h.gpus.inUse} in use` : 'none');
const slotsOf = (h: HostView): string => `${h.runningCount}/${h.processes.reduce((n, p) => n + p.concurrency, 0)}`;

function hostDetail(h: HostView): string {
  const head = formatFields([
    ['host', h.id],
    ['state', stateOf(h)],
    ['drain', h.drainRequest ? `${h.drain} (asked ${ago(h.drainRequest.at)}${h.drainRequest.by ? ` by ${h.drainRequest.by}` : ''})` : h.drain],
    ['labels', labelsOf(h) || '(none)'],
    ['engine', h.engine ? `Docker ${h.engine.engineVersion}, runtimes ${h.engine.runtimes.join(', ')}` : '(not read yet)'],
    ['engine health', h.engineUp ? 'answers' : 'unreachable'],
    ['volume', h.volumeWritable ? 'writable' : 'refuses writes'],
    ['images', h.engine ? `${h.engine.imagesCached} cached, ${bytes(h.engine.diskUsedBytes)} used by the engine (as of ${ago(h.engine.checkedAt)})` : undefined],
    ['gpus', gpusOf(h)],
    ['lease', h.state === 'live' ? `${seconds(h.lease.leftMs)} left of ${seconds(h.lease.periodMs)}, renewed ${seconds(h.lease.ageMs)} ago` : `lapsed ${ago(h.lease.expiresAt)}`],
    ['last seen', ago(h.lastSeen)],
  ]);
  const procs = formatTable(
    ['PROCESS', 'PID', 'VERSION', 'SLOTS', 'TAKING RUNS', 'HEARTBEAT', 'METRICS'],
    h.processes.map((p) => [p.instanceId, String(p.pid), p.version, `${p.slotsBusy}/${p.concurrency}`, p.takingRuns ? 'yes' : `no: ${p.refusing ?? ''}`, ago(p.lastHeartbeat), p.metricsUrl]),
  );
  const runs = h.runs.length
    ? formatTable(
        ['RUN', 'QUEUE', 'FENCE'],
        h.runs.map((r) => [r.id, r.queue, String(r.fence)]),
      )
    : '(no runs running)\n';
  return `${head}\n${procs}\n${runs}`;
}

/** `modelrun hosts`, `hosts show H`, `hosts drain H`, `hosts resume H` (operators and admins). */
export function hostsCommand(deps: CliDeps): Command {
  const hosts = new Command('hosts').description('the fleet: worker hosts, their processes and runs; drain and resume a host (operators, admins)');
  hosts
    .command('list', { isDefault: true })
    .description('every host seen in the last day, live or lost')
    .action(
      action(deps, async (ctx) =>
        show(ctx, await ctx.api.get('/v1/hosts', HostList), (l) =>
          l.hosts.length === 0
            ? 'no worker host has reported in the last day\n'
            : formatTable(
                ['HOST', 'STATE', 'PROCESSES', 'RUNNING', 'IMAGES', 'DISK', 'GPUS', 'LABELS', 'LAST SEEN'],
                l.hosts.map((h) => [
                  h.id,
                  stateOf(h),
                  String(h.processes.length),
                  slotsOf(h),
                  h.engine ? String(h.engine.imagesCached) : '?',
                  h.engine ? bytes(h.engine.diskUsedBytes) : '?',
                  gpusOf(h),
                  labelsOf(h),
                  ago(h.lastSeen),
                ]),
              ),
        ),
      ),
    );
  hosts
    .command('show')
    .description('one host: its engine, lease, processes and the runs on it')
    .argument('<host>', 'the host id (from modelrun hosts)')
    .action(action(deps, async (ctx, id: string) => show(ctx, await ctx.api.get(`/v1/hosts/${hostId(id)}`, HostViewSchema), hostDetail)));
  hosts
    .command('drain')
    .description('take a host out: its workers finish what they run and take nothing new (kept across restarts)')
    .argument('<host>', 'the host id')
    .action(
      action(deps, async (ctx, id: string) =>
        show(
          ctx,
          await ctx.api.post(`/v1/hosts/${hostId(id)}/drain`, {}, HostViewSchema),
          (h) => `host ${h.id} is ${h.drain}${h.drain === 'draining' ? ` (${h.runningCount} runs still running)` : ''}\n`,
        ),
      ),
    );
  hosts
    .command('resume')
    .description('put a drained host back: its workers take runs again')
    .argument('<host>', 'the host id')
    .action(action(deps, async (ctx, id: string) => show(ctx, await ctx.api.post(`/v1/hosts/${hostId(id)}/resume`, {}, HostViewSchema), (h) => `host ${h.id} is ${h.drain}: taking runs\n`)));
  return hosts;
}

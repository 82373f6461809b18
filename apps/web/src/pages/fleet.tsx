import { useState } from 'preact/hooks';
import type { HostList, HostView, QueueFigures, QueueList } from '@modelrun/contracts';
import { api } from '../api';
import { formatDuration, shortId, timeAgo } from '../ui/format';
import { ErrorNote } from '../ui/notes';
import { usePoll } from '../ui/poll';
import { Link } from '../ui/router';

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** `live` or `lost 3 min ago`, with the drain state when not active. */
function HostState(props: { host: HostView }) {
  const h = props.host;
  return (
    <span class="fleet-state">
      <span class={`badge ${h.state === 'lost' ? 'badge-failed' : 'badge-succeeded'}`} data-state={h.state}>
        {h.state === 'lost' ? `lost ${timeAgo(h.lostAt)}` : 'live'}
      </span>{' '}
      {h.drain !== 'active' && (
        <span class="badge badge-cancelled" data-drain={h.drain}>
          {h.drain}
        </span>
      )}
    </span>
  );
}

function HostCard(props: { host: HostView; onDrain: (h: HostView, drain: boolean) => void }) {
  const h = props.host;
  const slots = h.processes.reduce((n, p) => n + p.concurrency, 0);
  const labels = Object.entries(h.labels);
  return (
    <article class="card host" data-host={h.id}>
      <div class="host-head">
        <h2 class="mono">{h.id}</h2>
        <HostState host={h} />
        {h.state === 'live' &&
          (h.drain === 'active' ? (
            <button type="button" class="danger" onClick={() => props.onDrain(h, true)}>
              Drain
            </button>
          ) : (
            <button type="button" class="primary" onClick={() => props.onDrain(h, false)}>
              Resume
            </button>
          ))}
      </div>
      <dl class="host-facts">
        <dt>Running</dt>
        <dd data-running>
          {h.runningCount} of {slots} slots
        </dd>
        <dt>Engine</dt>
        <dd>{h.engine ? `Docker ${h.engine.engineVersion} · ${h.engineUp ? 'answers' : 'unreachable'}` : h.engineUp ? 'answers' : 'unreachable'}</dd>
        <dt>Runtimes</dt>
        <dd>{h.engine?.runtimes.join(', ') ?? '—'}</dd>
        <dt>Images</dt>
        <dd data-images>{h.engine ? `${h.engine.imagesCached} cached · ${bytes(h.engine.diskUsedBytes)} on disk` : '—'}</dd>
        <dt>GPUs</dt>
        <dd>{h.gpus ? `${h.gpus.free} free · ${h.gpus.inUse} in use` : 'none'}</dd>
        <dt>Volume</dt>
        <dd>{h.volumeWritable ? 'writable' : 'refuses writes'}</dd>
        <dt>Lease</dt>
        <dd>{h.state === 'live' ? `renewed ${formatDuration(h.lease.ageMs)} ago` : `lapsed ${timeAgo(h.lease.expiresAt)}`}</dd>
        <dt>Labels</dt>
        <dd>
          {labels.length === 0
            ? 'none'
            : labels.map(([k, v]) => (
                <code key={k} class="label">
                  {k}={v}
                </code>
              ))}
        </dd>
      </dl>
      {h.processes.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Process</th>
                <th scope="col">Version</th>
                <th scope="col">Slots busy</th>
                <th scope="col">Taking runs</th>
                <th scope="col">Heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {h.processes.map((p) => (
                <tr key={p.instanceId} data-process={p.instanceId}>
                  <td class="mono">pid {p.pid}</td>
                  <td>{p.version}</td>
                  <td>
                    {p.slotsBusy} / {p.concurrency}
                  </td>
                  <td>{p.takingRuns ? 'yes' : `no: ${p.refusing ?? ''}`}</td>
                  <td>{timeAgo(p.lastHeartbeat)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {h.runs.length > 0 && (
        <p class="host-runs">
          Runs here:{' '}
          {h.runs.map((r) => (
            <Link key={r.id} href={`/runs/${r.id}`} class="mono">
              {shortId(r.id)}
            </Link>
          ))}
        </p>
      )}
    </article>
  );
}

/** The queues' figures; Pause stops every worker of every host taking runs from a queue (BullMQ's pause), Resume undoes it. */
function Queues(props: { queues: QueueFigures[]; onPause: (q: QueueFigures, pause: boolean) => void }) {
  return (
    <div class="table-wrap">
      <table data-queues>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Waiting</th>
            <th scope="col">Running</th>
            <th scope="col">Oldest wait</th>
            <th scope="col">State</th>
            <th scope="col" aria-label="Pause or resume" />
          </tr>
        </thead>
        <tbody>
          {props.queues.map((q) => (
            <tr key={q.name} data-queue={q.name}>
              <td class="mono">{q.name}</td>
              <td>{q.waiting}</td>
              <td>{q.running}</td>
              <td>{q.waiting > 0 ? formatDuration(q.oldestWaitingSeconds * 1000) : '—'}</td>
              <td data-paused={String(q.paused)}>{q.paused ? 'paused' : 'taking runs'}</td>
              <td>
                {q.paused ? (
                  <button type="button" class="primary" onClick={() => props.onPause(q, false)}>
                    Resume
                  </button>
                ) : (
                  <button type="button" class="danger" onClick={() => props.onPause(q, true)}>
                    Pause
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** `/admin/fleet`: every worker host, its processes and runs, drain and resume; the queues (operators, admins). */
export function FleetPage() {
  const hosts = usePoll((signal) => api<HostList>('GET', '/v1/hosts', undefined, signal), [], 3_000);
  const queues = usePoll((signal) => api<QueueList>('GET', '/v1/queues', undefined, signal), [], 5_000);
  const [error, setError] = useState<Error>();
  const drain = async (h: HostView, on: boolean) => {
    setError(undefined);
    try {
      await api<HostView>('POST', `/v1/hosts/${encodeURIComponent(h.id)}/${on ? 'drain' : 'resume'}`);
      hosts.refresh();
    } catch (err) {
      setError(err as Error);
    }
  };
  const pause = async (q: QueueFigures, on: boolean) => {
    setError(undefined);
    try {
      await api<QueueFigures>('POST', `/v1/queues/${encodeURIComponent(q.name)}/${on ? 'pause' : 'resume'}`);
      queues.refresh();
    } catch (err) {
      setError(err as Error);
    }
  };
  const list = hosts.data?.hosts ?? [];
  return (
    <section>
      <div class="page-head">
        <h1>Fleet</h1>
      </div>
      <p class="muted intro">Every worker host seen in the last day. Drain a host to take it out: its workers finish what they run and take nothing new, across restarts, until it is resumed.</p>
      <ErrorNote error={error ?? hosts.error ?? queues.error} />
      {hosts.data && list.length === 0 && <p class="empty">No worker host has reported in the last day.</p>}
      <div class="hosts">
        {list.map((h) => (
          <HostCard key={h.id} host={h} onDrain={(host, on) => void drain(host, on)} />
        ))}
      </div>
      <h2>Queues</h2>
      <p class="muted intro">Pause a queue to stop the whole fleet taking runs from it: running runs finish, submissions still queue, until it is resumed.</p>
      {queues.data && <Queues queues={queues.data.queues} onPause={(q, on) => void pause(q, on)} />}
    </section>
  );
}

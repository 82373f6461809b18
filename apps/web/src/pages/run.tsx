import { useState } from 'preact/hooks';
import type { RunView } from '@modelrun/contracts';
import { isFinal } from '@modelrun/contracts/statuses';
import { api } from '../api';
import { REASON_WORDS, formatDuration, formatScore, formatTime } from '../ui/format';
import { triesOf } from '../ui/retries';
import { ErrorNote, LiveNote } from '../ui/notes';
import { usePoll } from '../ui/poll';
import { shortDigest, submitterText } from '../ui/provenance';
import { Link, navigate } from '../ui/router';
import { RunOutput } from '../ui/run-output';
import { SelectButton } from '../ui/select-button';
import { RescoreButton } from '../ui/rescore-button';
import { RunResults } from '../ui/run-results';
import { RunSeason } from '../ui/run-season';
import { MetricsTable } from '../ui/metrics-table';
import { ScoreHistory } from '../ui/score-history';
import { StatusBadge } from '../ui/status';
import { Timeline } from '../ui/timeline';

/** A live run's status is read this often (its output streams on its own). */
const POLL_MS = 1_000;

/** One run: where it is, what it may use, how it ended and why, its output; cancel while live. */
export function RunPage(props: { id: string }) {
  const run = usePoll(
    (signal) => api<RunView>('GET', `/v1/runs/${props.id}`, undefined, signal),
    [props.id],
    POLL_MS,
    (r) => r !== undefined && !isFinal(r.status),
  );
  const [cancelError, setCancelError] = useState<Error>();
  const [cancelling, setCancelling] = useState(false);
  const [rerunError, setRerunError] = useState<Error>();
  const [rerunning, setRerunning] = useState(false);
  const r = run.data;
  const live = r !== undefined && !isFinal(r.status);
  const tries = r && triesOf(r);

  const cancel = async () => {
    setCancelling(true);
    setCancelError(undefined);
    try {
      await api('DELETE', `/v1/runs/${props.id}`);
      run.refresh();
    } catch (err) {
      setCancelError(err as Error);
    } finally {
      setCancelling(false);
    }
  };

  // Operators and admins: a new run of the same image digest and limits, then its page.
  const rerun = async () => {
    setRerunning(true);
    setRerunError(undefined);
    try {
      const next = await api<RunView>('POST', `/v1/runs/${props.id}/rerun`);
      navigate(`/runs/${next.id}`);
    } catch (err) {
      setRerunError(err as Error);
    } finally {
      setRerunning(false);
    }
  };

  return (
    <section>
      <div class="page-head">
        <h1>
          <span class="muted crumb">{r ? <Link href={`/models/${encodeURIComponent(r.name)}`}>{r.name}</Link> : 'Run'} /</span> <span class="mono">{props.id}</span>
        </h1>
        {!run.error && <LiveNote at={run.at} live={live} />}
      </div>
      <ErrorNote error={run.error} />
      {r && (
        <>
          <div class="run-status">
            <StatusBadge status={r.status} phase={r.phase} retrying={tries?.banner !== undefined} />
            {r.benchmark && (
              <span class="benchmark-tag">
                Benchmark <Link href={`/benchmarks/${encodeURIComponent(r.benchmark)}`}>{r.benchmark}</Link>
                <span class="muted"> · scored by its evaluator</span>
              </span>
            )}
            {r.status === 'succeeded' && (
              <span class="big score" data-score={r.score}>
                {formatScore(r.score)}
              </span>
            )}
            {live && r.may?.cancel !== false && (
              <button type="button" class="danger" onClick={cancel} disabled={cancelling}>
                {cancelling ? 'Cancelling…' : 'Cancel run'}
              </button>
            )}
            {!live && r.may?.rerun && (
              <button type="button" class="rerun" onClick={rerun} disabled={rerunning} title="Run it again: the same image digest and limits, as its submitter's run, outside their quota">
                {rerunning ? 'Re-running…' : 'Re-run'}
              </button>
            )}
            <SelectButton run={r} onChanged={run.refresh} />
            <RescoreButton run={r} onRescored={run.refresh} />
          </div>
          <ErrorNote error={cancelError} />
          <ErrorNote error={rerunError} />
          <Timeline run={r} />
          {r.status === 'queued' && r.waitingFor && (
            <div class="retry waiting-for" role="status">
              <strong>Waiting for a host that can take it</strong>
              <p>No live host can run it now: it waits for {r.waitingFor}. It starts when such a host's worker does.</p>
            </div>
          )}
          {tries?.banner && (
            <div class="retry" role="status">
              <strong>{tries.banner.title}</strong>
              <p>Why it failed: {tries.banner.lastError}</p>
            </div>
          )}
          {r.reason && r.status !== 'succeeded' && (
            <div class="failure" role="status">
              <strong>{REASON_WORDS[r.reason]}</strong> <span class="muted">({r.reason})</span>
              {r.error && <p>{r.error}</p>}
            </div>
          )}
          <div class="panels">
            <dl class="kv">
              <dt>Image</dt>
              <dd class="mono">{r.image}</dd>
              {r.imageDigest && (
                <>
                  <dt>Ran</dt>
                  <dd class="mono" title={r.imageDigest}>
                    {shortDigest(r.imageDigest)}
                  </dd>
                </>
              )}
              <dt>Submitted by</dt>
              <dd class="submitter">{submitterText(r.submittedBy) ?? '—'}</dd>
              {r.rerunOf && (
                <>
                  <dt>Re-run of</dt>
                  <dd class="mono">
                    <Link href={`/runs/${r.rerunOf}`}>{r.rerunOf}</Link>
                    {r.requestedBy && <span class="muted"> · asked by {r.requestedBy}</span>}
                  </dd>
                </>
              )}
              <dt>Submitted</dt>
              <dd>{formatTime(r.createdAt)}</dd>
              <dt>Started</dt>
              <dd>{formatTime(r.startedAt)}</dd>
              <dt>Finished</dt>
              <dd>{formatTime(r.finishedAt)}</dd>
              <dt>Duration</dt>
              <dd>{formatDuration(r.durationMs)}</dd>
              <dt>Exit code</dt>
              <dd>{r.exitCode ?? '—'}</dd>
              <dt>Tries</dt>
              <dd>{tries?.count ?? '—'}</dd>
              <dt>Host</dt>
              <dd class="mono">{r.host ?? '—'}</dd>
            </dl>
            <dl class="kv">
              <dt>Time limit</dt>
              <dd>{r.limits.timeoutSeconds} s</dd>
              <dt>Memory</dt>
              <dd>{r.limits.memoryMb} MiB</dd>
              <dt>CPUs</dt>
              <dd>{r.limits.cpus}</dd>
              <dt>GPUs</dt>
              <dd>{r.limits.gpus}</dd>
            </dl>
            <MetricsTable metrics={r.metrics} />
          </div>
          <RunSeason run={r} />
          <RunResults run={r} />
          <ScoreHistory run={r} />
          {r.attemptErrors && r.attemptErrors.length > 0 && (
            <details class="attempts">
              <summary>{tries?.summary}</summary>
              <ul>
                {r.attemptErrors.map((a) => (
                  <li key={a.attempt}>
                    Try {a.attempt} failed at {formatTime(a.at)}
                    {a.host && ` on ${a.host}`}: {a.message}
                  </li>
                ))}
              </ul>
            </details>
          )}
          {r.may?.readLogs === false ? <p class="muted">Only the run's submitter, operators and admins read its output.</p> : <RunOutput runId={r.id} live={live} />}
        </>
      )}
    </section>
  );
}

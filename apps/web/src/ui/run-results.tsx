import type { DetailsFile, RunView } from '@modelrun/contracts';
import { api } from '../api';
import { usePoll } from './poll';
import { ErrorNote } from './notes';
import { Num } from './num';
import { shortDigest } from './provenance';

/** `sha256:0123456789ab…`, an image id as Docker shortens it; a `repo@sha256:…` as shortDigest does. */
function shortImage(ref: string): string {
  return ref.startsWith('sha256:') ? `${ref.slice(0, 19)}…` : shortDigest(ref);
}

function bytesText(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A benchmark run's results beside its score: which evaluator image scored it, its kept
 * predictions (a download) and its evaluator's detailed results, shown only to those the API
 * serves them to (its submitter, operators and admins: the same callers as its output).
 */
export function RunResults(props: { run: RunView }) {
  const r = props.run;
  if (!r.benchmark || (!r.evaluatorImage && r.predictionsBytes === undefined && !r.hasDetails && !r.detailsError)) return null;
  const mine = r.may?.readLogs !== false;
  return (
    <section class="run-results" aria-label="Results">
      <h2>Results</h2>
      <dl class="kv">
        {r.evaluatorImage && (
          <>
            <dt>Scored by</dt>
            <dd class="mono evaluator-image" title={r.evaluatorImage}>
              {shortImage(r.evaluatorImage)}
            </dd>
          </>
        )}
        {mine && r.predictionsBytes !== undefined && (
          <>
            <dt>Predictions</dt>
            <dd>
              <a class="predictions" href={`/v1/runs/${r.id}/predictions`} download={`${r.name}-${r.id}.tar`}>
                Download (tar, {bytesText(r.predictionsBytes)})
              </a>
            </dd>
          </>
        )}
      </dl>
      {mine && r.detailsError && (
        <p class="muted details-error">
          The evaluator's detailed results were left out: <span class="mono">{r.detailsError}</span>
        </p>
      )}
      {mine && r.hasDetails && <Details runId={r.id} />}
      {!mine && (r.hasDetails || r.predictionsBytes !== undefined) && <p class="muted">Only the run's submitter, operators and admins see its predictions and detailed results.</p>}
    </section>
  );
}

/** The evaluator's tables, each scrolling in its own box on a narrow screen. */
function Details(props: { runId: string }) {
  const details = usePoll(
    (signal) => api<DetailsFile>('GET', `/v1/runs/${props.runId}/details`, undefined, signal),
    [props.runId],
    0,
    () => false,
  );
  const d = details.data;
  return (
    <div class="run-details">
      <ErrorNote error={details.error} />
      {d?.tables.map((t, ti) => (
        <figure class="details-table" key={ti}>
          <figcaption>{t.title}</figcaption>
          {/* Focusable, so a keyboard can scroll a table wider than the screen. */}
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t.title}>
            <table>
              <thead>
                <tr>
                  {t.columns.map((c, i) => (
                    <th scope="col" key={i} class={numeric(t.rows, i) ? 'num' : undefined}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {t.rows.map((row, ri) => (
                  <tr key={ri}>
                    {row.map((cell, ci) => (
                      <td key={ci} class={typeof cell === 'number' ? 'num' : undefined}>
                        {typeof cell === 'number' ? <Num value={cell} /> : (cell ?? '—')}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </figure>
      ))}
      {d?.notes?.map((n, i) => (
        <p class="muted details-note" key={i}>
          {n}
        </p>
      ))}
    </div>
  );
}

function numeric(rows: DetailsFile['tables'][number]['rows'], i: number): boolean {
  return rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number');
}

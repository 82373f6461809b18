import type { RunView } from '@modelrun/contracts';
import { formatTime } from './format';
import { Num } from './num';

/** An evaluator image as its first 12 hex digits (as Docker shortens ids); the full reference is the cell's title. */
function shortEvaluator(image: string | undefined): string {
  if (!image) return '—';
  const hex = /sha256:([0-9a-f]{12})/.exec(image);
  return hex ? hex[1]! : image;
}

/**
 * A re-scored run's score history (issue 19), oldest first: when, the score (or why the
 * evaluator failed: the score was kept), the evaluator image that gave it and which re-score.
 * Nothing for a run never re-scored.
 */
export function ScoreHistory(props: { run: RunView }) {
  const history = props.run.scoreHistory ?? [];
  if (history.length === 0) return null;
  return (
    <section class="score-history" aria-label="Score history">
      <h2>Score history</h2>
      {/* Focusable, so a keyboard can scroll it on a narrow screen (the re-score ids are long). */}
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Score history table">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col" class="num">
                Score
              </th>
              <th scope="col">Evaluator</th>
              <th scope="col">Re-score</th>
            </tr>
          </thead>
          <tbody>
            {history.map((e) => (
              <tr key={`${e.at}-${e.rescoreId ?? 'original'}`}>
                <td>{formatTime(e.at)}</td>
                <td class="num">{e.error !== undefined ? <span class="muted">failed: {e.error}</span> : <Num value={e.score} score />}</td>
                <td class="mono" title={e.evaluatorImage}>
                  {shortEvaluator(e.evaluatorImage)}
                </td>
                <td class="mono">{e.rescoreId ?? 'original scoring'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

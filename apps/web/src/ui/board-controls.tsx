import { useEffect, useRef, useState } from 'preact/hooks';
import type { BenchmarkView, SessionView } from '@modelrun/contracts';
import { api } from '../api';
import { type BoardName, boardRuleOf, privateBoardAccess, ruleWords } from './board-view';
import { formatTime } from './format';
import { ErrorNote } from './notes';
import { RescoreAll } from './rescore-all';
import { mayRescoreBoard } from './rescore-view';

/**
 * Above a benchmark's board (issue 19): which phase's runs it ranks (when the benchmark has
 * phases), the Public / Private switch (for those who may see the private board), the board's
 * rule, whether the private board is revealed, and an admin's "Reveal private board" with a
 * confirm step: a reveal is for good.
 */
export function BoardControls(props: {
  benchmark: BenchmarkView;
  session: SessionView | undefined;
  phase: string | undefined;
  board: BoardName;
  onChange: (next: { phase?: string | undefined; board?: BoardName }) => void;
  onRevealed: () => void;
  /** After a "Re-score all" is done (shown to operators and admins): the board is read again. */
  onRescored?: () => void;
}) {
  const b = props.benchmark;
  const access = privateBoardAccess(b, props.session);
  const shown: BoardName = access.see ? props.board : 'public';
  return (
    <div class="board-controls">
      <div class="board-choices">
        {b.phases && (
          <label class="phase-choice">
            Phase{' '}
            <select name="phase" value={props.phase ?? ''} onChange={(e) => props.onChange({ phase: (e.target as HTMLSelectElement).value || undefined })}>
              <option value="">All phases</option>
              {b.phases.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                  {p.name === b.openPhase?.name ? ' (open)' : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        {!access.see && props.board === 'private' && (
          // A link to the private board, followed by someone who may not see it (yet): the API's 403 says why, this is the way back.
          <button type="button" onClick={() => props.onChange({ board: 'public' })}>
            Show the public board
          </button>
        )}
        {access.see && (
          <div class="board-switch" role="group" aria-label="Board">
            {(['public', 'private'] as const).map((name) => (
              <button key={name} type="button" aria-pressed={shown === name} onClick={() => props.onChange({ board: name })}>
                {name === 'public' ? 'Public' : 'Private'}
              </button>
            ))}
          </div>
        )}
      </div>
      <p class="muted board-rule" data-rule={boardRuleOf(b, props.phase)?.rule ?? 'best'}>
        {shown === 'private' ? 'Private board: scores on the private part of the reference. ' : ''}Ranks {ruleWords(boardRuleOf(b, props.phase), shown)}.
      </p>
      <RevealState benchmark={b} mayReveal={access.reveal} seen={access.see} onRevealed={props.onRevealed} />
      {props.onRescored && mayRescoreBoard(props.session) && <RescoreAll benchmark={b} phase={props.phase} onRescored={props.onRescored} />}
    </div>
  );
}

/** Whether the private board is revealed and since when; before, to those who see it, that it is hidden and until when. */
function RevealState(props: { benchmark: BenchmarkView; mayReveal: boolean; seen: boolean; onRevealed: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const cancelRef = useRef<HTMLButtonElement>(null);
  // The button that asked is gone: the keyboard's focus goes to the question's safe answer.
  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);
  const pb = props.benchmark.privateBoard;
  if (!pb) return null;
  if (pb.revealed) {
    return (
      <p class="reveal-state" data-revealed="true">
        <span class="badge badge-succeeded">revealed</span> The private board was revealed to everyone {formatTime(pb.revealedAt)}.
      </p>
    );
  }
  if (!props.seen) return null;
  const reveal = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api<BenchmarkView>('POST', `/v1/benchmarks/${encodeURIComponent(props.benchmark.name)}/reveal`);
      setConfirming(false);
      props.onRevealed();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="reveal-state" data-revealed="false">
      <p>
        <span class="badge badge-cancelled">hidden</span> Only operators and admins see the private board{pb.revealAt ? ` until ${formatTime(pb.revealAt)}` : ' until an admin reveals it'}.
        {props.mayReveal && !confirming && (
          <>
            {' '}
            <button type="button" class="reveal" onClick={() => setConfirming(true)}>
              Reveal private board
            </button>
          </>
        )}
      </p>
      {confirming && (
        <div class="reveal-confirm" role="alertdialog" aria-labelledby="reveal-question">
          <p id="reveal-question">Reveal {props.benchmark.name}'s private board to everyone? It cannot be hidden again.</p>
          <button type="button" class="danger" onClick={reveal} disabled={busy}>
            {busy ? 'Revealing…' : 'Reveal to everyone'}
          </button>{' '}
          <button type="button" ref={cancelRef} onClick={() => setConfirming(false)} disabled={busy}>
            Cancel
          </button>
        </div>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

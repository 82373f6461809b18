import { useState } from 'preact/hooks';
import type { AppliedLimits, BenchmarkList, RunView, SubmitRunRequest } from '@modelrun/contracts';
import { ApiError, api } from '../api';
import { ErrorNote } from '../ui/notes';
import { usePoll } from '../ui/poll';
import { navigate } from '../ui/router';
import { PhaseNow } from '../ui/benchmark-phases';
import { type FieldErrors, type FormInput, LIMITS, checkForm, fieldErrorsOf } from '../ui/submit-check';

const unitOf = (unit: string) => (unit ? ` ${unit}` : '');

/** A field's problem, tied to its input (aria-describedby) and shown beside it. */
function FieldError(props: { id: string; message: string | undefined }) {
  return props.message ? (
    <span class="field-error" id={props.id}>
      {props.message}
    </span>
  ) : null;
}

/** The priority levels an operator may give a run (1 first); a run without one queues at the default. */
const PRIORITY_LEVELS = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const DEFAULT_PRIORITY = 5;

/**
 * Submit a run: image, name, a benchmark or not, limits (each field says its default and
 * ceiling; a benchmark run takes the benchmark's, shown and locked), the host labels it needs
 * (the keys RUN_ALLOWED_LABELS allows) and, for operators and admins, its priority; then its run
 * page. Every problem is shown at once, beside its field: the form's own checks first, then the API's.
 */
export function SubmitPage(props: { mayPrioritize: boolean }) {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const [benchmark, setBenchmark] = useState('');
  const list = usePoll((signal) => api<BenchmarkList>('GET', '/v1/benchmarks', undefined, signal), [], 60_000);
  const policy = list.data?.limits;
  const chosen = list.data?.benchmarks.find((b) => b.name === benchmark);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const text = (k: string) => String(form.get(k) ?? '').trim();
    const input: FormInput = { image: text('image'), name: text('name'), benchmark, limits: Object.fromEntries(LIMITS.map((l) => [l.key, text(l.key)])) };
    const found = checkForm(input, policy?.ceilings);
    setErrors(found);
    setError(undefined);
    if (Object.keys(found).length > 0) {
      (e.currentTarget as HTMLFormElement).querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    const limits: Partial<AppliedLimits> = {};
    if (!benchmark) for (const l of LIMITS) if (input.limits[l.key]) limits[l.key] = Number(input.limits[l.key]);
    const requires = Object.fromEntries((list.data?.allowedLabels ?? []).map((key) => [key, text(`requires.${key}`)]).filter(([, value]) => value !== ''));
    const priority = Number(text('priority'));
    const body: SubmitRunRequest = {
      image: input.image,
      name: input.name,
      ...(Object.keys(limits).length > 0 && { limits }),
      ...(benchmark && { benchmark }),
      ...(Object.keys(requires).length > 0 && { requires }),
      ...(props.mayPrioritize && priority > 0 && { priority }),
    };
    setBusy(true);
    try {
      const run = await api<RunView>('POST', '/v1/models', body);
      navigate(`/runs/${run.id}`);
    } catch (err) {
      const { fields, rest } = err instanceof ApiError ? fieldErrorsOf(err.details) : { fields: {}, rest: [] };
      setErrors(fields);
      // Problems of no field (a quota, the queue) read as the API wrote them.
      if (Object.keys(fields).length === 0 || rest.length > 0) setError(rest.length > 0 ? new Error(rest.join('; ')) : (err as Error));
      setBusy(false);
    }
  };

  const invalid = (path: string) => (errors[path] ? { 'aria-invalid': 'true' as const, 'aria-describedby': `err-${path}` } : {});
  const limitShown = (key: keyof AppliedLimits) => chosen?.modelLimits?.[key];
  const labels = list.data?.allowedLabels ?? [];

  return (
    <section class="narrow">
      <h1>Submit a run</h1>
      {chosen ? (
        <p class="muted intro">
          A run of benchmark <strong>{chosen.name}</strong>: the image runs in a sandbox with no network, with the benchmark's data and limits, and writes its predictions to <code>$OUTPUT_DIR</code>;
          the benchmark's evaluator scores them ({chosen.primaryMetric} and its other metrics).
        </p>
      ) : (
        <p class="muted intro">
          The image runs in a sandbox with no network; it writes its score to <code>$OUTPUT_DIR/score.json</code>.
        </p>
      )}
      {chosen && <PhaseNow b={chosen} />}
      <form class="card form" onSubmit={submit} noValidate>
        <label>
          Image
          <input name="image" autocomplete="off" spellcheck={false} aria-required="true" {...invalid('image')} />
          <span class="hint">
            A reference with its tag or digest, for example <code>registry.example/team/model:1.0</code>
          </span>
          <FieldError id="err-image" message={errors.image} />
        </label>
        <label>
          Model name
          <input name="name" autocomplete="off" spellcheck={false} aria-required="true" {...invalid('name')} />
          <span class="hint">
            1-63 of a-z 0-9 . _ -, for example <code>digits-svm</code>
          </span>
          <FieldError id="err-name" message={errors.name} />
        </label>
        {list.data && list.data.benchmarks.length > 0 && (
          <label>
            Benchmark
            <select name="benchmark" value={benchmark} onChange={(e) => setBenchmark((e.currentTarget as HTMLSelectElement).value)} {...invalid('benchmark')}>
              <option value="">None: the model scores itself</option>
              {list.data.benchmarks.map((b) => (
                <option key={b.name} value={b.name}>
                  {b.name}
                </option>
              ))}
            </select>
            <FieldError id="err-benchmark" message={errors.benchmark} />
          </label>
        )}
        {/* Keyed by the choice: the fields start over (blank, or the benchmark's) when it changes. */}
        <fieldset key={chosen?.name ?? ''} disabled={chosen !== undefined} aria-describedby="limits-note">
          <legend>{chosen ? `Limits of benchmark ${chosen.name}` : 'Limits'}</legend>
          <p class="hint" id="limits-note">
            {chosen ? 'Every run of a benchmark gets its limits, so its leaderboard compares like with like.' : 'Leave a field blank for its default.'}
          </p>
          <div class="limits">
            {LIMITS.map((l) => (
              <label key={l.key}>
                <span>
                  {l.label}
                  {l.unit && <span class="muted"> ({l.unit})</span>}
                </span>
                <input
                  name={l.key}
                  type="number"
                  inputMode="decimal"
                  step={l.step}
                  min={l.min}
                  {...(policy && !chosen && { max: policy.ceilings[l.key] })}
                  {...(chosen && { value: limitShown(l.key) ?? '' })}
                  {...invalid(`limits.${l.key}`)}
                />
                {policy && !chosen && (
                  <span class="hint" data-limit={l.key}>
                    {policy.ceilings[l.key] === 0 ? 'None on this deployment.' : `Default ${policy.defaults[l.key]}${unitOf(l.unit)}, at most ${policy.ceilings[l.key]}${unitOf(l.unit)}.`}
                  </span>
                )}
                <FieldError id={`err-limits.${l.key}`} message={errors[`limits.${l.key}`]} />
              </label>
            ))}
          </div>
          <FieldError id="err-limits" message={errors.limits} />
        </fieldset>
        {(labels.length > 0 || props.mayPrioritize) && (
          <fieldset aria-describedby="placement-note">
            <legend>Where and when it runs</legend>
            <p class="hint" id="placement-note">
              {labels.length > 0 ? 'A label sends the run only to hosts that have it (blank: any host). ' : ''}
              {props.mayPrioritize ? 'Priority 1 goes first; every run of a level waits behind its submitter’s earlier ones.' : ''}
            </p>
            <div class="limits">
              {labels.map((key) => (
                <label key={key}>
                  <span>
                    Host label <code>{key}</code>
                  </span>
                  <input name={`requires.${key}`} autocomplete="off" spellcheck={false} {...invalid('requires')} />
                </label>
              ))}
              {props.mayPrioritize && (
                <label>
                  <span>Priority</span>
                  <select name="priority" {...invalid('priority')}>
                    <option value="">Default ({DEFAULT_PRIORITY})</option>
                    {PRIORITY_LEVELS.map((level) => (
                      <option key={level} value={String(level)}>
                        {level}
                      </option>
                    ))}
                  </select>
                </label>
              )}
            </div>
            <FieldError id="err-requires" message={errors.requires} />
            <FieldError id="err-priority" message={errors.priority} />
          </fieldset>
        )}
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit run'}
        </button>
      </form>
    </section>
  );
}

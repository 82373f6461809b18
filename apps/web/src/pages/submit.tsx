import { useState } from 'preact/hooks';
import type { BenchmarkList, RunView, SubmitRunRequest } from '@modelrun/contracts';
import { api } from '../api';
import { ErrorNote } from '../ui/notes';
import { usePoll } from '../ui/poll';
import { navigate } from '../ui/router';

const LIMITS = [
  { key: 'timeoutSeconds', label: 'Time limit', unit: 's', step: '1', min: '1' },
  { key: 'memoryMb', label: 'Memory', unit: 'MiB', step: '1', min: '16' },
  { key: 'cpus', label: 'CPUs', unit: '', step: '0.01', min: '0.01' },
  { key: 'gpus', label: 'GPUs', unit: '', step: '1', min: '0' },
] as const;

/** Submit a run: image, name, limits (blank: the deployment's defaults); then its run page. */
export function SubmitPage() {
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const benchmarks = usePoll((signal) => api<BenchmarkList>('GET', '/v1/benchmarks', undefined, signal), [], 60_000);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const limits: Record<string, number> = {};
    for (const l of LIMITS) {
      const v = String(form.get(l.key) ?? '').trim();
      if (v !== '') limits[l.key] = Number(v);
    }
    const benchmark = String(form.get('benchmark') ?? '');
    const body: SubmitRunRequest = {
      image: String(form.get('image') ?? '').trim(),
      name: String(form.get('name') ?? '').trim(),
      ...(Object.keys(limits).length > 0 && { limits }),
      ...(benchmark && { benchmark }),
    };
    setBusy(true);
    setError(undefined);
    try {
      const run = await api<RunView>('POST', '/v1/models', body);
      navigate(`/runs/${run.id}`);
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <h1>Submit a run</h1>
      <p class="muted">The image runs in a sandbox with no network; it writes its score to <code>$OUTPUT_DIR/score.json</code>.</p>
      <form class="card form" onSubmit={submit}>
        <label>
          Image
          <input name="image" required autocomplete="off" spellcheck={false} placeholder="registry.example/team/model:1.0" />
        </label>
        <label>
          Model name
          <input name="name" required autocomplete="off" spellcheck={false} pattern="[a-z0-9][a-z0-9._\-]{0,62}" title="1-63 of a-z 0-9 . _ -, starting with a letter or digit" placeholder="digits-svm" />
        </label>
        {benchmarks.data && benchmarks.data.benchmarks.length > 0 && (
          <label>
            Benchmark
            <select name="benchmark">
              <option value="">none: the model scores itself</option>
              {benchmarks.data.benchmarks.map((b) => (
                <option key={b.name} value={b.name}>{b.name}</option>
              ))}
            </select>
          </label>
        )}
        <fieldset>
          <legend>Limits (blank: the defaults; a benchmark run takes its benchmark's)</legend>
          <div class="limits">
            {LIMITS.map((l) => (
              <label key={l.key}>
                <span>
                  {l.label}
                  {l.unit && <span class="muted"> ({l.unit})</span>}
                </span>
                <input name={l.key} type="number" inputMode="decimal" step={l.step} min={l.min} />
              </label>
            ))}
          </div>
        </fieldset>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit run'}
        </button>
      </form>
    </section>
  );
}

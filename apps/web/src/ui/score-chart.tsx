import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { RunSummary } from '@modelrun/contracts';

const HEIGHT = 260;
const AXIS = { stroke: '#5b6473', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#e3e6ec' } };

/** The scored runs, oldest first: x is the run's number among them, y its score. */
function points(runs: readonly RunSummary[]): { data: [number[], number[]]; runs: RunSummary[] } {
  const scored = runs.filter((r) => r.status === 'succeeded' && r.score !== undefined).sort((a, b) => (a.id < b.id ? -1 : 1));
  return { data: [scored.map((_r, i) => i + 1), scored.map((r) => r.score!)], runs: scored };
}

/** A model's score over its runs (uPlot, bundled into the app: nothing from a CDN). */
export function ScoreChart(props: { runs: readonly RunSummary[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { data, runs } = points(props.runs);
  const shown = useRef(runs);
  shown.current = runs;

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: el.clientWidth,
      height: HEIGHT,
      scales: { x: { time: false } },
      axes: [
        { ...AXIS, label: 'run', labelSize: 24, incrs: [1, 2, 5, 10, 20, 50, 100], values: (_u, ticks) => ticks.map((t) => `#${t}`) },
        { ...AXIS, size: 60, values: (_u, ticks) => ticks.map((t) => t.toFixed(3)) },
      ],
      series: [
        { label: 'run', value: (_u, v) => (v == null ? '—' : `#${v} · ${new Date(shown.current[v - 1]?.createdAt ?? 0).toLocaleString()}`) },
        { label: 'score', stroke: '#4f46e5', width: 2, fill: 'rgba(79,70,229,0.08)', points: { size: 8, fill: '#4f46e5' }, value: (_u, v) => (v == null ? '—' : v.toFixed(4)) },
      ],
    };
    plot.current = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  });

  const count = data[0].length;
  return (
    <figure class="chart">
      <div ref={box} class="chart-box" role="img" aria-label={`Score over ${count} scored runs`} data-points={count} />
      {count === 0 && <figcaption>No scored runs yet.</figcaption>}
    </figure>
  );
}

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber, formatTime } from './format';
import { yRange } from './chart-range';

const HEIGHT = 260;
const AXIS = { stroke: '#4b5563', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#e3e6ec' } };

/** One charted run: its id and date (for the legend) and the value drawn. */
export interface ChartPoint {
  id: string;
  createdAt: string;
  value: number;
}

/**
 * A value over a model's runs, oldest first (uPlot, bundled into the app: nothing from a CDN).
 * The axis fits the values; the legend names the newest run's value until a point is hovered.
 */
export function ScoreChart(props: { points: readonly ChartPoint[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shown = useRef(props.points);
  shown.current = props.points;
  const label = useRef(props.label);
  label.current = props.label;
  const data: [number[], number[]] = [props.points.map((_p, i) => i + 1), props.points.map((p) => p.value)];

  useEffect(() => {
    const el = box.current!;
    const newest = () => shown.current.at(-1);
    const opts: uPlot.Options = {
      width: el.clientWidth,
      height: HEIGHT,
      scales: { x: { time: false }, y: { range: (_u, min, max) => yRange(min, max) } },
      // The value axis's span on the element, where a test (or a curious reader) can see it.
      hooks: {
        setScale: [
          (u, key) => {
            if (key !== 'y') return;
            el.dataset.yMin = String(u.scales.y!.min);
            el.dataset.yMax = String(u.scales.y!.max);
          },
        ],
      },
      axes: [
        { ...AXIS, label: 'run', labelSize: 24, incrs: [1, 2, 5, 10, 20, 50, 100], values: (_u, ticks) => ticks.map((t) => `#${t}`) },
        { ...AXIS, size: 64, values: (_u, ticks) => ticks.map((t) => formatNumber(Number(t.toPrecision(6)))) },
      ],
      series: [
        {
          label: 'run',
          value: (_u, v) => {
            const p = v == null ? newest() : shown.current[v - 1];
            const n = v ?? shown.current.length;
            return p ? `#${n}${v == null ? ' (newest)' : ''} · ${formatTime(p.createdAt)}` : '—';
          },
        },
        {
          label: label.current,
          stroke: '#4f46e5',
          width: 2,
          fill: 'rgba(79,70,229,0.08)',
          points: { size: 8, fill: '#4f46e5' },
          value: (_u, v) => formatNumber(v ?? newest()?.value),
        },
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
    const p = plot.current;
    if (!p) return;
    if (p.series[1]?.label !== props.label) {
      p.series[1]!.label = props.label;
      const el = box.current?.querySelector('.u-series:nth-child(2) .u-label');
      if (el) el.textContent = props.label;
    }
    p.setData(data);
  });

  const count = data[0].length;
  return (
    <figure class="chart">
      <div ref={box} class="chart-box" role="img" aria-label={`${props.label} over ${count} runs`} data-points={count} />
      {count === 0 && <figcaption>No scored runs yet.</figcaption>}
    </figure>
  );
}

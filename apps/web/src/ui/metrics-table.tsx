import { Num } from './num';

/**
 * A run's metrics as a two-column table, one row a metric (the run page's own metrics, those on
 * the private part): long names wrap, the numbers are rounded with their exact value on hover.
 * Nothing for no metrics, so a page need not ask first.
 */
export function MetricsTable(props: {
  metrics: Record<string, number> | undefined;
  /** The value column's heading: "Value" by default. */
  valueLabel?: string;
  /** Above the table, saying whose metrics they are when the page shows more than one set. */
  caption?: string;
  /** Extra classes on the table, for styles and tests (`private-metrics`). */
  class?: string;
}) {
  const entries = Object.entries(props.metrics ?? {});
  if (entries.length === 0) return null;
  return (
    <div class="table-wrap">
      <table class={props.class ? `metrics ${props.class}` : 'metrics'}>
        {props.caption && <caption>{props.caption}</caption>}
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col" class="num">
              {props.valueLabel ?? 'Value'}
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td class="num">
                <Num value={v} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

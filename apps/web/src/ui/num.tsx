import { formatNumber, formatScore } from './format';

/**
 * A number rounded for reading, its exact value on hover (title) and in `<data value>`, which
 * is what a copy of the cell gives a script; `score` keeps the four decimals of scores.
 */
export function Num(props: { value: number | undefined; score?: boolean; class?: string }) {
  const text = props.score ? formatScore(props.value) : formatNumber(props.value);
  if (props.value === undefined) return <span class={props.class}>{text}</span>;
  const exact = String(props.value);
  // Copying just this number copies all of it; a wider selection copies as the browser would.
  const onCopy = (e: ClipboardEvent) => {
    if (getSelection()?.toString().trim() !== text || !e.clipboardData) return;
    e.clipboardData.setData('text/plain', exact);
    e.preventDefault();
  };
  return (
    <data class={props.class} value={exact} title={exact} onCopy={onCopy}>
      {text}
    </data>
  );
}

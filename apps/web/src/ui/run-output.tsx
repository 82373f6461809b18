import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../api';

/**
 * A run's output. While the run is live it streams (`?follow=true`: the API holds the response
 * open and writes each line as the worker copies it), otherwise it is read once.
 */
export function RunOutput(props: { runId: string; live: boolean }) {
  const [text, setText] = useState('');
  const [state, setState] = useState<'loading' | 'streaming' | 'done' | 'error'>('loading');
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const ctl = new AbortController();
    const decoder = new TextDecoder();
    (async () => {
      setText('');
      setState(props.live ? 'streaming' : 'loading');
      const res = await request('GET', `/v1/runs/${props.runId}/logs${props.live ? '?follow=true' : ''}`, undefined, ctl.signal);
      const reader = res.body!.getReader();
      let all = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        all += decoder.decode(value, { stream: true });
        setText(all);
      }
      setState('done');
    })().catch(() => {
      if (!ctl.signal.aborted) setState('error');
    });
    return () => ctl.abort();
  }, [props.runId, props.live]);

  // Keep the newest line in view while it streams, unless the reader scrolled up.
  useEffect(() => {
    const el = pre.current;
    if (el && state === 'streaming' && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [text, state]);

  return (
    <div class="output">
      <div class="output-head">
        <h2>Output</h2>
        <span class="muted">{state === 'streaming' ? 'streaming…' : state === 'error' ? 'could not be read' : ''}</span>
      </div>
      <pre ref={pre} tabIndex={0} role="region" aria-label="Run output" aria-live="off" data-state={state}>
        {text || (state === 'done' ? '(no output)' : ' ')}
      </pre>
    </div>
  );
}

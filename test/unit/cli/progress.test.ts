import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressLine } from '@modelrun/cli';

function terminal(interactive: boolean): { term: ConstructorParameters<typeof ProgressLine>[0]; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  return { term: { out, err: new PassThrough(), interactive, ...(interactive && { columns: 80 }) }, text: () => text };
}

describe('modelrun: the progress line', () => {
  it('prints a line per phase, and nothing else, when stdout is not a terminal', () => {
    const { term, text } = terminal(false);
    const p = new ProgressLine(term);
    let n = 0;
    p.update({ key: 'queued', render: () => `queued ${n++}` });
    p.update({ key: 'queued', render: () => `queued ${n++}` });
    p.update({ key: 'running', render: () => 'running' });
    p.write('model output\n');
    p.stop();
    const lines = text().split('\n');
    assert.match(lines[0]!, /^\[\s+\d+\.\d s\] queued 0$/);
    assert.match(lines[1]!, /^\[\s+\d+\.\d s\] running$/);
    assert.equal(lines[2], 'model output');
    assert.doesNotMatch(text(), /[\r\x1b]/, 'no redraws, no escape codes');
  });

  it('redraws one line with a spinner at a terminal, keeping output above it', () => {
    const { term, text } = terminal(true);
    const p = new ProgressLine(term);
    p.update({ key: 'running', render: () => 'running 1.0 s' });
    p.write('tick');
    p.stop();
    assert.match(text(), /^\r\x1b\[K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running 1\.0 s\r\x1b\[Ktick\n\r\x1b\[K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running 1\.0 s\r\x1b\[K$/);
  });
});

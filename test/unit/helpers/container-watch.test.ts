import assert from 'node:assert/strict';
import { type ContainerEvent, maxAtOnce } from '../../helpers/container-watch';

let t = 0n;
const ev = (engine: string, id: string, action: string): ContainerEvent => ({ engine, id, runId: 'r', action, timeNano: (t += 1000n) });

// The watch's verdict for "at no moment two containers of one run", from the engines' events.
describe('maxAtOnce (container-watch)', () => {
  it('counts a container replaced after its removal as one at a time, across engines', () => {
    const events = [
      ev('a', '1', 'create'),
      ev('a', '1', 'start'),
      ev('a', '1', 'die'),
      ev('a', '1', 'destroy'),
      ev('b', '2', 'create'),
      ev('b', '2', 'start'),
      ev('b', '2', 'die'),
      ev('b', '2', 'destroy'),
    ];
    assert.equal(maxAtOnce(events), 1);
    assert.equal(maxAtOnce(events, 'running'), 1);
  });

  it('sees two containers of a run that overlap on two engines, however briefly', () => {
    const events = [ev('a', '1', 'create'), ev('a', '1', 'start'), ev('b', '2', 'create'), ev('b', '2', 'destroy'), ev('a', '1', 'die'), ev('a', '1', 'destroy')];
    assert.equal(maxAtOnce(events), 2);
    assert.equal(maxAtOnce(events, 'running'), 1, 'the second never ran');
  });

  it('tells the same id on two engines apart', () => {
    assert.equal(maxAtOnce([ev('a', 'x', 'create'), ev('b', 'x', 'create')]), 2);
  });

  it('counts a container that existed before the watch began (first seen by a later event)', () => {
    const events = [ev('a', 'old', 'die'), ev('b', 'new', 'create'), ev('a', 'old', 'destroy')];
    assert.equal(maxAtOnce(events), 2);
    assert.equal(maxAtOnce(events, 'running'), 1);
  });
});

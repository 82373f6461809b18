import assert from 'node:assert/strict';
import { RUN_ID_PATTERN } from '@modelrun/contracts';
import { RUN_ID, afterSignIn, match } from '../../../apps/web/src/ui/match';

const ORIGIN = 'http://127.0.0.1:8081';

describe('the web app against hostile links', () => {
  it('goes back after sign-in only to this origin, however the browser would read the path (issue 22)', () => {
    const table: [next: string, expected: string | undefined][] = [
      // The attack: the browser drops the tab, leaving //evil.example/phish.
      ['/\t/evil.example/phish', undefined],
      ['/\r/evil.example', undefined],
      ['/\n/evil.example', undefined],
      ['/\t\n\r/evil.example', undefined],
      ['/\\evil.example', undefined],
      ['/\\\\evil.example', undefined],
      ['\\/evil.example', undefined],
      ['//evil.example/x', undefined],
      ['///evil.example/x', undefined],
      ['https://evil.example/', undefined],
      ['http://127.0.0.1:8081/models/x', undefined],
      ['javascript:alert(1)', undefined],
      // Encoded, the tab stays a tab in the path: a page of this site (a 404), not another site.
      ['/%09/evil.example', '/%09/evil.example'],
      ['', undefined],
      ['/models/digits', '/models/digits'],
      ['/admin/queues/queue/runs?status=failed#top', '/admin/queues/queue/runs?status=failed#top'],
      ['/runs/../models/x', '/models/x'],
    ];
    for (const [next, expected] of table) {
      const got = afterSignIn(`?next=${encodeURIComponent(next)}`, ORIGIN);
      assert.equal(got, expected, JSON.stringify(next));
      // What comes back is what the browser follows: it must land on this origin.
      if (got !== undefined) assert.equal(new URL(got, ORIGIN).origin, ORIGIN, `${JSON.stringify(next)} -> ${got}`);
    }
  });

  it('takes only a run id from a run page address, so its Cancel cannot aim at another API path', () => {
    const id = '01a22c75-78ea-787b-b8e8-4314b4859110';
    assert.ok(RUN_ID.test(match('/runs/:id', `/runs/${id}`)!.id!));
    for (const path of ['/runs/..%2Fsession', '/runs/..%2F..%2Fv1%2Fsession', `/runs/${id}%2F..%2F..%2Fsession`, `/runs/${id}%3Fx`, '/runs/%2e%2e', `/runs/${id.toUpperCase()}`]) {
      const got = match('/runs/:id', path)?.id;
      assert.ok(got !== undefined && !RUN_ID.test(got), `${path} -> ${got}`);
    }
  });

  it('reads run ids as the contracts define them', () => {
    assert.equal(RUN_ID.source, RUN_ID_PATTERN.source);
  });
});

import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunView, isFinal } from '@modelrun/contracts';
import { get, postJson } from '../lib/http-loop';
import { nowMs } from '../lib/stats';

export interface Submitted {
  id: string;
  postStart: number;
  postEnd: number;
}

export interface Visible {
  view: RunView;
  /** When the GET that first showed the run final came back. */
  at: number;
  polls: number;
  /** Duration of each GET /v1/runs/{id}. */
  getMs: number[];
}

/**
 * A client as a user would write one: POST the run, then poll GET /v1/runs/{id} every
 * `pollMs` (measured from the start of the previous poll) until the run has ended.
 */
export class ModelrunClient {
  constructor(
    private readonly base: string,
    readonly pollMs: number,
  ) {}

  async submit(image: string, name: string): Promise<Submitted> {
    const postStart = nowMs();
    const res = await postJson(`${this.base}/v1/models`, { image, name });
    const postEnd = nowMs();
    if (res.status !== 202) throw new Error(`POST /v1/models answered ${res.status}: ${res.body.toString()}`);
    return { id: (JSON.parse(res.body.toString()) as RunView).id, postStart, postEnd };
  }

  /** One GET; the run's view and how long the request took. */
  async fetch(id: string): Promise<{ view: RunView | undefined; ms: number }> {
    const t = nowMs();
    const res = await get(`${this.base}/v1/runs/${id}`);
    const ms = nowMs() - t;
    return { view: res.status === 200 ? (JSON.parse(res.body.toString()) as RunView) : undefined, ms };
  }

  /**
   * Waits with `GET /v1/runs/{id}?wait=30` (the API answers when the run ends) when `pollMs` is
   * 0, else polls every `pollMs`.
   */
  async waitVisible(id: string, timeoutMs = 60_000): Promise<Visible> {
    if (this.pollMs === 0) return this.longPoll(id, timeoutMs);
    const deadline = nowMs() + timeoutMs;
    const getMs: number[] = [];
    for (let polls = 1; ; polls++) {
      const t = nowMs();
      const { view, ms } = await this.fetch(id);
      getMs.push(ms);
      if (view && isFinal(view.status)) return { view, at: nowMs(), polls, getMs };
      if (nowMs() > deadline) throw new Error(`run ${id} not final after ${timeoutMs} ms: ${JSON.stringify(view)}`);
      await sleep(Math.max(0, this.pollMs - (nowMs() - t)));
    }
  }

  private async longPoll(id: string, timeoutMs: number): Promise<Visible> {
    const deadline = nowMs() + timeoutMs;
    const getMs: number[] = [];
    for (let polls = 1; ; polls++) {
      const t = nowMs();
      const res = await longGet(`${this.base}/v1/runs/${id}?wait=30`);
      getMs.push(nowMs() - t);
      const view = res.status === 200 ? (JSON.parse(res.body.toString()) as RunView) : undefined;
      if (view && isFinal(view.status)) return { view, at: nowMs(), polls, getMs };
      if (nowMs() > deadline) throw new Error(`run ${id} not final after ${timeoutMs} ms: ${JSON.stringify(view)}`);
    }
  }

  /**
   * Waits for many runs, polling only the `window` oldest unfinished ones each round: the
   * worker takes runs in order, so those are the ones that can end next, and the poll load
   * stays that of `window` clients however many runs are queued.
   */
  async waitAllVisible(ids: readonly string[], window: number, timeoutMs = 300_000): Promise<Map<string, Visible>> {
    const seen = new Map<string, Visible>();
    const open = [...ids];
    const deadline = nowMs() + timeoutMs;
    if (this.pollMs === 0) {
      // One long-poll per run, all at once: each answers as its run ends.
      await Promise.all(ids.map(async (id) => seen.set(id, await this.longPoll(id, timeoutMs))));
      return seen;
    }
    while (open.length) {
      const t = nowMs();
      const batch = open.slice(0, window);
      const answers = await Promise.all(batch.map(async (id) => ({ id, ...(await this.fetch(id)) })));
      for (const a of answers) {
        if (!a.view || !isFinal(a.view.status)) continue;
        seen.set(a.id, { view: a.view, at: nowMs(), polls: 0, getMs: [a.ms] });
        open.splice(open.indexOf(a.id), 1);
      }
      if (nowMs() > deadline) throw new Error(`${open.length} runs still not final after ${timeoutMs} ms`);
      await sleep(Math.max(0, this.pollMs - (nowMs() - t)));
    }
    return seen;
  }
}

// Long-polls hold their socket until the run ends: one socket each, not a shared few.
const longAgent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

function longGet(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: longAgent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** How the client learns a run has ended, for the notes under the table. */
export function describeWaiting(pollMs: number): string {
  return pollMs === 0 ? 'the client long-polls GET /v1/runs/{id}?wait=30 (answered when the run ends)' : `the client polls GET /v1/runs/{id} every ${pollMs} ms`;
}

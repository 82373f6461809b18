import { request } from 'node:http';
import { type RunView, isFinal } from '@modelrun/contracts';
import { waitFor } from '../helpers/wait';

/**
 * The stack's HTTP API as a client sees it, from outside the containers.
 * node:http rather than fetch: Node 20's fetch leaves its promise pending, holding nothing, when
 * docker-proxy accepts a connection and resets it (the API not listening yet), and the process
 * would end in the middle of a wait.
 */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  /** One request with a 10 s deadline; `token: null` sends none. */
  call(method: string, path: string, body?: unknown, token: string | null = this.token): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = { ...(token && { authorization: `Bearer ${token}` }), ...(payload && { 'content-type': 'application/json' }) };
      const req = request(`${this.url}${path}`, { method, timeout: 10_000, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', reject);
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON: keep the text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** POST /v1/models; fails unless it answers 202. */
  async submit(image: string, name: string): Promise<RunView> {
    const res = await this.call('POST', '/v1/models', { image, name });
    if (res.status !== 202) throw new Error(`POST /v1/models answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as RunView;
  }

  /** Polls until every run has ended; fails naming the runs that had not, and how they stood. */
  async waitForRuns(ids: string[], timeoutMs: number): Promise<RunView[]> {
    const last = new Map<string, RunView>();
    const ended = (id: string): boolean => {
      const status = last.get(id)?.status;
      return status !== undefined && isFinal(status);
    };
    try {
      return await waitFor(
        `${ids.length} run(s) to end`,
        async () => {
          for (const id of ids.filter((i) => !ended(i))) {
            const res = await this.call('GET', `/v1/runs/${id}`);
            if (res.status === 200) last.set(id, res.body as RunView);
          }
          return ids.every(ended) ? ids.map((id) => last.get(id)!) : undefined;
        },
        timeoutMs,
        250,
      );
    } catch (err) {
      const pending = ids.filter((id) => !ended(id)).map((id) => `${id}=${last.get(id)?.status ?? 'unseen'}/${last.get(id)?.phase ?? '-'}`);
      throw new Error(`${(err as Error).message}; not finished: ${pending.join(', ')}`, { cause: err });
    }
  }
}

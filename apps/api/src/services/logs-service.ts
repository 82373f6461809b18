import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { type RunView, isFinal } from '@modelrun/contracts';
import type { RunControl } from '@modelrun/run-control';
import type { RecordStore } from '@modelrun/store';
import { HttpError, viaRedis } from '../errors';
import type { RunsService } from './runs-service';

export interface LogsServiceDeps {
  store: RecordStore;
  control: RunControl;
  runs: RunsService;
  /** A blocking connection per follower: XREAD BLOCK holds its connection while it waits. */
  blockingConnection: () => Redis;
  /** Followers at once across the process (default 64); more get a 429. */
  maxFollowers?: number;
}

const BLOCK_MS = 2_000;

/**
 * A run's output. Finished runs: the tail the worker kept on the volume. Live runs: what the
 * worker has copied into Redis so far, and with `?follow=true` the rest as it comes, until the
 * run ends.
 */
export class LogsService {
  private followers = 0;

  constructor(private readonly deps: LogsServiceDeps) {}

  async send(run: RunView, req: Request, res: Response): Promise<void> {
    res.type('text/plain; charset=utf-8').set('X-Run-Status', run.status).set('Cache-Control', 'no-store');
    if (isFinal(run.status)) {
      const stored = await this.deps.store.readLog(run.name, run.id);
      if (stored) {
        res.send(stored);
        return;
      }
    }
    const follow = req.query.follow === 'true' || req.query.follow === '1';
    const entries = await viaRedis(() => this.deps.control.liveLog(run.id));
    if (!follow || isFinal(run.status)) {
      res.send(Buffer.concat(entries.map((e) => e.data)));
      return;
    }
    await this.follow(run, entries, req, res);
  }

  private async follow(run: RunView, first: { id: string; data: Buffer }[], req: Request, res: Response): Promise<void> {
    if (this.followers >= (this.deps.maxFollowers ?? 64)) {
      throw new HttpError('rate_limited', 'too many clients are following logs right now; retry shortly', { 'Retry-After': '5' });
    }
    this.followers++;
    const conn = this.deps.blockingConnection();
    let closed = false;
    req.on('close', () => {
      closed = true;
      conn.disconnect();
    });
    try {
      res.status(200);
      res.flushHeaders();
      let last = '0';
      for (const e of first) {
        res.write(e.data);
        last = e.id;
      }
      while (!closed) {
        const entries = await this.deps.control.readLiveLog(run.id, last, BLOCK_MS, conn).catch(() => []);
        for (const e of entries) {
          res.write(e.data);
          last = e.id;
        }
        if (entries.length === 0) {
          const now = await this.deps.runs.get(run.id).catch(() => undefined);
          if (!now || isFinal(now.status)) break;
        }
      }
    } finally {
      this.followers--;
      conn.disconnect();
      res.end();
    }
  }
}

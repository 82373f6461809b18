/**
 * The submission benchmark's floors for the HTTP side: a bare Express app in a process of its
 * own (like the API's, api-child.ts) that parses the same JSON body with express.json() and
 * answers 202 with a small JSON body: no validation, no logging, no middleware. With
 * BARE_ENQUEUE_REDIS_URL it also does what no submission API can skip, BullMQ's Queue.add of
 * the run (on a connection made like the API's), and answers once Redis has it: the ceiling
 * for any API that enqueues through BullMQ. It tells the port to its parent over IPC and exits
 * when the parent says so or goes away.
 */
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { RUN_JOB, type RunJobData, newRunId } from '@modelrun/contracts';
import { createRedis, createRunQueue, runJobOptions } from '@modelrun/queue';

// What the API applies when a request names no limits (the config defaults) and its retries.
const LIMITS = { timeoutSeconds: 600, memoryMb: 1024, cpus: 1, gpus: 0 };
const RETRY = { attempts: 5, backoffMs: 2_000 };

function enqueueing(redisUrl: string, prefix: string): RequestHandler {
  const redis = createRedis({ kind: 'standalone', url: redisUrl }, { role: 'producer', name: 'bench-bare-express', onError: () => undefined });
  const queue = createRunQueue(redis, prefix);
  return (req, res, next) => {
    const body = req.body as { image: string; name: string };
    const data: RunJobData = { id: newRunId(), name: body.name, image: body.image, limits: LIMITS, createdAt: new Date().toISOString() };
    queue.add(RUN_JOB, data, runJobOptions(data.id, RETRY)).then(() => res.status(202).json({ id: data.id, name: data.name, image: data.image, status: 'queued' }), next);
  };
}

const redisUrl = process.env.BARE_ENQUEUE_REDIS_URL;
const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '64kb' }));
app.post(
  '/v1/models',
  redisUrl
    ? enqueueing(redisUrl, process.env.BARE_ENQUEUE_PREFIX ?? 'bare')
    : (req, res) => {
        const body = req.body as { image?: unknown; name?: unknown };
        res.status(202).json({ id: 'bare', name: body.name, image: body.image, status: 'queued' });
      },
);

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
process.on('message', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));

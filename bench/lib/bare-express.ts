/**
 * The submission benchmark's floor for the HTTP side: a bare Express app in a process of its
 * own (like the API's, api-child.ts) that parses the same JSON body with express.json() and
 * answers 202 with a small JSON body: no validation, no Redis, no logging, no middleware. It
 * tells the port to its parent over IPC and exits when the parent says so or goes away.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '64kb' }));
app.post('/v1/models', (req, res) => {
  const body = req.body as { image?: unknown; name?: unknown };
  res.status(202).json({ id: 'bare', name: body.name, image: body.image, status: 'queued' });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
process.on('message', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));

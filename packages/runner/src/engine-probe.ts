import http from 'node:http';
import type Docker from 'dockerode';

/** Long enough for a loaded engine to answer a ping; short enough not to hold a judged run. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether the engine refuses new connections: it is shutting down (or gone). An engine told to
 * stop closes its API listener first, then stops its containers, while the connections it
 * already has (the runner's keep-alive sockets, the event stream) stay open until it exits.
 * Seen on Docker 20.10: a ping on a fresh connection was refused 90 ms after SIGTERM, while the
 * event stream went on for the 10 s the engine waited on its containers. So this asks on a
 * connection of its own, never the runner's kept-alive ones.
 * @returns false when the engine answered, or could not be asked this way (https, ssh).
 */
export async function engineRefusesConnections(docker: Docker): Promise<boolean> {
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number | string; protocol?: string };
  const target = modem.socketPath ? { socketPath: modem.socketPath } : modem.protocol === 'http' && modem.host ? { host: modem.host, port: Number(modem.port ?? 2375) } : undefined;
  if (!target) return false;
  return new Promise<boolean>((resolve) => {
    const req = http.request({ ...target, path: '/_ping', method: 'GET', agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' || err.code === 'ENOENT'));
    req.end();
  });
}

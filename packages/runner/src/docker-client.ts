import http from 'node:http';
import { inspect } from 'node:util';
import Docker from 'dockerode';

/**
 * A Docker client for `DOCKER_HOST` (unix:// or tcp://; the local socket when unset).
 * Connections are kept alive: a run makes a dozen Engine API calls, and a fresh connection
 * for each is measurable overhead.
 */
export function createDocker(dockerHost?: string): Docker {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  // docker-modem formats every request's options for its debug log, whether or not the log is
  // on, with util.inspect at unlimited depth and hidden properties: this agent, its sockets and
  // everything they reach. With a dozen sockets open (log followers, waits, the event stream)
  // that took more CPU than the rest of the worker (bench/orchestration's CPU profile). Shown
  // as its name, it costs nothing.
  Object.defineProperty(agent, inspect.custom, { value: () => 'http.Agent (Docker Engine API, keep-alive)' });
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock', agent } as Docker.DockerOptions);
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname, agent } as Docker.DockerOptions);
  if (url.protocol === 'tcp:' || url.protocol === 'http:') {
    return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http', agent } as Docker.DockerOptions);
  }
  // https and ssh need certificates or keys that docker-modem reads from the standard variables.
  return new Docker();
}

import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A switchable stand-in for the Docker socket: forwards to the real engine while up; while
 * down, the socket is gone and open connections are cut, as when dockerd stops or restarts.
 * A worker pointed at it (DOCKER_HOST=unix://...) sees a real daemon outage; the engine the
 * rest of the machine uses is never touched.
 */
export class DockerProxy {
  readonly path: string;
  private readonly dir: string;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target = '/var/run/docker.sock') {
    this.dir = mkdtempSync(join(tmpdir(), 'modelrun-dockerproxy-'));
    this.path = join(this.dir, 'docker.sock');
  }

  get dockerHost(): string {
    return `unix://${this.path}`;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.path, resolve));
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async dispose(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

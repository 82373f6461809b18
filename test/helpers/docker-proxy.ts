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
  private trap: { request: RegExp; spring(): void } | undefined;

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
      client.once('data', (head: Buffer) => {
        const trap = this.trap;
        if (trap?.request.test(head.toString('latin1', 0, 300))) {
          this.trap = undefined;
          trap.spring();
        }
      });
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

  /**
   * Takes the engine away for `ms` the moment a request whose first line matches `request`
   * comes in (that request is cut too), then back. Settles once it is back: a blip aimed at a
   * request rather than at a moment, so it cannot miss. A test waits on it with a deadline.
   */
  blipAt(request: RegExp, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.trap = {
        request,
        spring: () => {
          void this.down()
            .then(() => new Promise((r) => setTimeout(r, ms)))
            .then(() => this.up())
            .then(resolve, reject);
        },
      };
    });
  }

  async dispose(): Promise<void> {
    this.trap = undefined;
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

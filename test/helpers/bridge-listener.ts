import { type Server, createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { docker } from './docker';

export interface BridgeListener {
  host: string;
  port: number;
  /** The first line each connection sent, in arrival order. */
  received: string[];
  close(): Promise<void>;
}

/**
 * A TCP listener on the host's address on the engine's default bridge (docker0): what a
 * container with networking would reach first. The sandbox probe dials it, so "cannot reach the
 * bridge" is checked against something that answers, and a probe with networking on proves it can.
 */
export async function bridgeListener(): Promise<BridgeListener> {
  const host = await bridgeAddress();
  const received: string[] = [];
  const server: Server = createServer((socket) => {
    let text = '';
    let heard = false;
    const hear = (): void => {
      if (heard) return;
      heard = true;
      received.push(text.split('\n')[0] ?? '');
      socket.end();
    };
    // The line is kept as soon as it arrives, and only then is the connection closed: closing at
    // once let busybox nc see the end of the stream and exit before it had sent its line.
    socket.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      if (text.includes('\n')) hear();
    });
    socket.on('end', hear);
    socket.on('close', hear);
    socket.on('error', () => undefined);
    // A peer that connects and says nothing is heard as '' after ten seconds, not held open.
    socket.setTimeout(10_000, hear);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the bridge listener has no port');
  return {
    host,
    port: address.port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The host's IPv4 address on the engine's default bridge network. */
async function bridgeAddress(): Promise<string> {
  const bridge = await (await docker()).getNetwork('bridge').inspect();
  const name = (bridge.Options as Record<string, string> | undefined)?.['com.docker.network.bridge.name'] ?? 'docker0';
  // Not os.networkInterfaces(): it leaves out a bridge with no container on it yet (no carrier).
  const shown = execFileSync('ip', ['-j', '-4', 'addr', 'show', 'dev', name], { encoding: 'utf8' });
  const v4 = (JSON.parse(shown) as { addr_info?: { local?: string }[] }[])[0]?.addr_info?.[0]?.local;
  if (!v4) throw new Error(`the Docker bridge ${name} has no IPv4 address on this host: the sandbox test needs the engine's default bridge`);
  return v4;
}

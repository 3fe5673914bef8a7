import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback between a connector and its PostgreSQL server, to cut one instance off the database the
 * way a network partition does: `cut()` stops forwarding on every connection (nothing arrives, nothing is answered;
 * no reset that would tell either side) and holds new connections the same way; `heal()` drops the held
 * connections (as a partition that ends with the peers' connections timed out) and forwards new ones again.
 */
export interface TcpProxy {
  port: number;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let partitioned = false;
  const pairs = new Set<{ client: Socket; upstream: Socket | null }>();

  const server = createServer((client) => {
    const pair: { client: Socket; upstream: Socket | null } = { client, upstream: null };
    pairs.add(pair);
    const forget = () => {
      pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', forget);
    client.on('close', forget);
    if (partitioned) {
      // Held: accepted, never forwarded (a black hole).
      client.pause();
      return;
    }
    connect(pair, forget);
  });

  function connect(pair: { client: Socket; upstream: Socket | null }, forget: () => void): void {
    const upstream = createConnection({ host: targetHost, port: targetPort });
    pair.upstream = upstream;
    // While cut, the server ending its side (its idle-in-transaction time-out) must not reach the client either.
    const upstreamGone = () => (partitioned ? (pair.upstream = null) : forget());
    upstream.on('error', upstreamGone);
    upstream.on('close', upstreamGone);
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    cut() {
      partitioned = true;
      for (const { client, upstream } of pairs) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    heal() {
      partitioned = false;
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      pairs.clear();
    },
    async close() {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import diagnostics from 'node:diagnostics_channel';
import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a fake, for the outage a fake cannot play itself: while
 * `refuse()` is in force nothing listens on the port, so clients get ECONNREFUSED, and the
 * connections already open are cut, as when a vendor's host goes away. `accept()` listens on the
 * same port again, so the service's configured base URL works after the recovery.
 *
 * Refused connections never reach any server, so they are counted where they fail: undici's
 * `connectError` diagnostics channel (our clients and the SDK's fetch both publish there).
 */
export type OutageProxy = {
  /** `targetUrl` (the fake's base URL, path kept) pointed at the relay instead. */
  url: (targetUrl: string) => string;
  refuse: () => Promise<void>;
  accept: () => Promise<void>;
  /** Connections refused since the relay started. */
  refused: () => number;
  stop: () => Promise<void>;
};

const RELISTEN_ATTEMPTS = 20;
const RELISTEN_PAUSE_MS = 25;
const CONNECT_ERROR_CHANNEL = 'undici:client:connectError';

type ConnectError = { connectParams?: { port?: string | number } };

export async function startOutageProxy(targetPort: number): Promise<OutageProxy> {
  const sockets = new Set<Socket>();
  let port = 0;
  let refusedCount = 0;
  let isDown = false;

  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  function listen(at: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  const onConnectError = (message: unknown) => {
    if (isDown && Number((message as ConnectError).connectParams?.port) === port) refusedCount += 1;
  };
  diagnostics.subscribe(CONNECT_ERROR_CHANNEL, onConnectError);

  await listen(0);
  return {
    url: (targetUrl) => {
      const target = new URL(targetUrl);
      target.port = String(port);
      return target.toString().replace(/\/$/, '');
    },
    async refuse() {
      if (isDown) return;
      isDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async accept() {
      if (!isDown) return;
      // The port was ours a moment ago; a lingering close can fail the first listen.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await listen(port);
          break;
        } catch (error) {
          if (attempt >= RELISTEN_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, RELISTEN_PAUSE_MS));
        }
      }
      isDown = false;
    },
    refused: () => refusedCount,
    async stop() {
      diagnostics.unsubscribe(CONNECT_ERROR_CHANNEL, onConnectError);
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Workspace } from '../station/workspace.js';
import { createApp, type AppOptions } from './app.js';

/** Starts the API on host:port (port 0: any free one); resolves once it listens. */
export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startServer(ws: Workspace, host: string, port: number, opts: AppOptions = {}): Promise<RunningServer> {
  const app = createApp(ws, opts);
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(new Error(`fat serve cannot listen on ${host}:${port}: ${e.message}`));
    const server: ServerType = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      server.off('error', onError);
      const h = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${h}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((res) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => res());
          }),
      });
    });
    server.on('error', onError);
  });
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openWorkspace, type Workspace } from '../../src/station/workspace.js';
import { startServer, type RunningServer } from '../../src/web/server.js';

/** A temp home with its store and `fat serve`'s server on 127.0.0.1, port 0. */
export interface ServedHome {
  dir: string;
  ws: Workspace;
  server: RunningServer;
  close(): Promise<void>;
}

export async function servedHome(pollMs = 200): Promise<ServedHome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fat-web-'));
  const ws = await openWorkspace(dir);
  const server = await startServer(ws, '127.0.0.1', 0, { pollMs });
  return {
    dir,
    ws,
    server,
    close: async () => {
      await server.close();
      await ws.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a prompt as the master would, with no master running. */
export async function openTestPrompt(ws: Workspace, message: string): Promise<number> {
  const r = await ws.db
    .insertInto('prompts')
    .values({ station: ws.station.name, run_id: null, task_id: null, kind: 'manual_input', message, opened_at: new Date().toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

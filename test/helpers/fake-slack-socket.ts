import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FakeSlack } from './fake-slack.js';

/**
 * Slack's Socket Mode on the fake Web API's port: apps.connections.open hands out
 * ws://127.0.0.1:PORT/socket-mode, a connection gets `hello`, and the test plays Slack's side:
 * `send` delivers an envelope (a button click, a modal, a shortcut, a slash command) and resolves
 * with the client's acknowledgement; `drop` cuts the connection as Slack's load balancers do.
 */
export interface FakeSocketMode {
  /** connections made so far (a reconnect makes another) */
  readonly connections: number;
  /** resolves once `n` connections have been made and the latest is open */
  waitForConnection(n: number, timeoutMs?: number): Promise<void>;
  /** delivers an envelope on the open connection; resolves with the ack's payload */
  send(type: 'interactive' | 'slash_commands', payload: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** closes the open connection without warning */
  drop(): void;
  close(): Promise<void>;
}

export function attachSocketMode(fake: FakeSlack): FakeSocketMode {
  const wss = new WebSocketServer({ noServer: true });
  let open: WebSocket | null = null;
  let connections = 0;
  const acks = new Map<string, (payload: Record<string, unknown>) => void>();
  const waiters: Array<() => void> = [];

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!req.url?.startsWith('/socket-mode')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections++;
      open = ws;
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString('utf8')) as { envelope_id?: string; payload?: Record<string, unknown> };
        if (m.envelope_id) acks.get(m.envelope_id)?.(m.payload ?? {});
      });
      ws.on('close', () => {
        if (open === ws) open = null;
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A-FAKE' } }));
      for (const w of waiters.splice(0)) w();
    });
  };
  fake.server.on('upgrade', onUpgrade);

  return {
    get connections() {
      return connections;
    },
    async waitForConnection(n, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (!(connections >= n && open)) {
        if (Date.now() > end) throw new Error(`timed out waiting for Socket Mode connection ${n} (${connections} made)`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    send(type, payload, timeoutMs = 10_000) {
      const ws = open;
      if (!ws) return Promise.reject(new Error('no Socket Mode connection is open'));
      const id = randomUUID();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          acks.delete(id);
          reject(new Error(`no ack for ${type} envelope ${id} within ${timeoutMs} ms`));
        }, timeoutMs);
        acks.set(id, (p) => {
          clearTimeout(t);
          acks.delete(id);
          resolve(p);
        });
        ws.send(JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: true, retry_attempt: 0, retry_reason: '' }));
      });
    },
    drop() {
      open?.terminate();
      open = null;
    },
    async close() {
      fake.server.off('upgrade', onUpgrade);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

/** A click on a card's button, as Slack delivers it. */
export function buttonClick(
  card: { blocks?: Array<Record<string, unknown>>; channel: string; ts: string },
  which: 'yes' | 'no',
  user: { id: string; name: string },
) {
  const actions = card.blocks?.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> } | undefined;
  if (!actions) throw new Error('the card has no buttons');
  const button = actions.elements.find((e) => e.action_id === `fat_prompt_${which}`);
  if (!button) throw new Error(`the card has no ${which} button`);
  return {
    type: 'block_actions',
    user: { id: user.id, username: user.name, name: user.name, team_id: 'T1' },
    trigger_id: `trigger-${randomUUID()}`,
    channel: { id: card.channel, name: 'fat' },
    container: { type: 'message', message_ts: card.ts, channel_id: card.channel },
    message: { ts: card.ts },
    actions: [{ type: 'button', action_id: button.action_id, block_id: 'b', value: button.value, action_ts: `${Date.now() / 1000}` }],
  };
}

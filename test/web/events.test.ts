import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/records/check-results.js';
import { servedHome, type ServedHome } from './server-home.js';

/** GET /api/events: rows inserted into the store after connecting arrive as SSE, with their id. */
interface Frame {
  event?: string;
  id?: string;
  data: string;
}

async function* frames(body: ReadableStream<Uint8Array>): AsyncGenerator<Frame> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const f: Frame = { data: '' };
      for (const line of block.split('\n')) {
        const i = line.indexOf(':');
        const [k, v] = [line.slice(0, i), line.slice(i + 1).replace(/^ /, '')];
        if (k === 'data') f.data += v;
        else if (k === 'event') f.event = v;
        else if (k === 'id') f.id = v;
      }
      yield f;
    }
  }
}

describe('fat serve: live events over SSE', () => {
  let h: ServedHome;
  beforeAll(async () => {
    h = await servedHome(200);
  });
  afterAll(async () => h?.close());

  /** fat_api_event_streams of /metrics once it is `want`, or what it is after 5 s */
  async function streamsBecome(want: string): Promise<string | undefined> {
    const until = Date.now() + 5000;
    for (;;) {
      const text = await (await fetch(`${h.server.url}/metrics`)).text();
      const n = /^fat_api_event_streams\{.*\} (\d+)$/m.exec(text)?.[1];
      if (n === want || Date.now() > until) return n;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('delivers an event inserted after connecting, and replays from Last-Event-ID', async () => {
    await recordEvent(h.ws, null, 'info', 'test.old', 'before connecting');
    const ac = new AbortController();
    const r = await fetch(`${h.server.url}/api/events`, { signal: ac.signal });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const it = frames(r.body!);
    const hello = (await it.next()).value as Frame;
    expect(hello.event).toBe('hello');
    await recordEvent(h.ws, null, 'warn', 'test.new', 'the master moved on');
    const f = (await it.next()).value as Frame;
    const row = JSON.parse(f.data) as { id: number; kind: string; message: string; level: string };
    expect([row.kind, row.message, row.level]).toEqual(['test.new', 'the master moved on', 'warn']);
    expect(f.id).toBe(String(row.id));
    ac.abort();
    expect(await streamsBecome('0'), 'the stream of a disconnected client ends').toBe('0');

    const ac2 = new AbortController();
    const again = await fetch(`${h.server.url}/api/events`, { signal: ac2.signal, headers: { 'last-event-id': String(row.id - 1) } });
    const it2 = frames(again.body!);
    await it2.next();
    const replay = JSON.parse(((await it2.next()).value as Frame).data) as { kind: string };
    expect(replay.kind).toBe('test.new');
    expect(await streamsBecome('1')).toBe('1');
    ac2.abort();
    expect(await streamsBecome('0'), 'the stream of a disconnected client ends').toBe('0');
  });
});

import http from 'node:http';
import type { Writable } from 'node:stream';

/**
 * The stand-in for the real `domnet` program, for a station whose wire pairs are in the simulated
 * lab: `domnet sim://HOST:CONTROL_PORT/wpN -c <domnet.ini> -p <base_port> -n <n_devices>`.
 *
 * It asks the simulator to open wire pair N's device and ICM ports and holds them for as long as it
 * lives, copying the simulator's start-up report to stderr as the real domnet does (FAT setup reads
 * the first three lines). SIGTERM or SIGINT end it cleanly (exit 0) and the ports close with it; a
 * simulator that refuses the wire pair or goes away ends it with a non-zero exit.
 */
export interface StandinOptions {
  /** stops the stand-in as SIGTERM would (for running it in-process) */
  signal?: AbortSignal;
  stderr?: Writable;
}

const USAGE = 'usage: domnet sim://HOST:PORT/wpN -c <domnet.ini> -p <base_port> -n <n_devices>';

interface Args {
  host: string;
  controlPort: number;
  wp: number;
  basePort?: number;
  nDevices?: number;
}

function parseArgs(argv: string[]): Args | string {
  let tty: string | undefined;
  let basePort: number | undefined;
  let nDevices: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`option ${a} needs a value`);
      return v;
    };
    try {
      if (a === '-c') value();
      else if (a === '-p' || a === '-n') {
        const v = value();
        if (!/^\d+$/.test(v)) return `option ${a} wants a number, got "${v}"`;
        if (a === '-p') basePort = Number(v);
        else nDevices = Number(v);
      } else if (a.startsWith('-')) return `unknown option ${a}`;
      else if (tty === undefined) tty = a;
      else return `unexpected argument "${a}"`;
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (!tty) return 'missing the tty (sim://HOST:PORT/wpN)';
  const m = /^sim:\/\/([^/:]+):(\d+)\/wp(\d+)\/?$/.exec(tty);
  if (!m) {
    return `"${tty}" is not a simulated wire pair; this stand-in only drives the simulated lab, whose wire pairs look like sim://127.0.0.1:5099/wp1 (a real /dev/ttyUSB needs the real domnet)`;
  }
  if (basePort === undefined) return 'missing -p <base_port>';
  return { host: m[1], controlPort: Number(m[2]), wp: Number(m[3]), basePort, nDevices };
}

/** Body of a refusal: the simulator's report lines, or the error of a JSON reply. */
function refusalLines(body: string): string[] {
  try {
    const o = JSON.parse(body) as { error?: unknown };
    if (typeof o.error === 'string') return [o.error];
  } catch {
    /* plain report text */
  }
  return body.split('\n').filter((l) => l.length > 0);
}

export async function runStandinDomnet(argv: string[], opts: StandinOptions = {}): Promise<number> {
  const err = opts.stderr ?? process.stderr;
  const say = (line: string) => err.write(line.endsWith('\n') ? line : line + '\n');
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    say(`domnet: ${args}`);
    say(USAGE);
    return 2;
  }
  const where = `the simulated lab at http://${args.host}:${args.controlPort}`;
  const query = new URLSearchParams({ wp: String(args.wp), port: String(args.basePort) });
  if (args.nDevices !== undefined) query.set('n', String(args.nDevices));

  return new Promise<number>((resolve) => {
    let stopping = false;
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      opts.signal?.removeEventListener('abort', stop);
      resolve(code);
    };
    const stop = () => {
      stopping = true;
      req.destroy();
      finish(0);
    };

    const req = http.request({ host: args.host, port: args.controlPort, method: 'POST', path: `/domnet/attach?${query.toString()}` });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          for (const l of refusalLines(body)) say(l);
          say(`domnet: ${where} refused wire pair ${args.wp} (HTTP ${res.statusCode ?? '?'}); exiting`);
          finish(1);
        });
        res.on('error', () => finish(1));
        return;
      }
      let partial = '';
      res.on('data', (c: string) => {
        partial += c;
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) say(l);
      });
      const ended = () => {
        if (stopping) return;
        if (partial) say(partial);
        say(`domnet: ${where} closed wire pair ${args.wp} (simulator stopped or restarted); exiting`);
        finish(1);
      };
      res.on('end', ended);
      res.on('close', ended);
      res.on('error', ended);
    });
    req.on('error', (e) => {
      if (stopping) return;
      say(`domnet: cannot reach ${where}: ${e.message}; is \`fat sim start\` running with the base port this station expects?`);
      finish(1);
    });
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (opts.signal?.aborted) return stop();
    opts.signal?.addEventListener('abort', stop, { once: true });
    req.end();
  });
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Station } from '../lab/station.js';
import { REPO_ROOT } from '../util/repo-root.js';

/**
 * Where the Slack token comes from: $SLACK_BOT_TOKEN, else the station's `slack.token_file`
 * (outside the icefat repository), never the station file itself. Without a token Slack is off
 * and the master says so once; a run without Slack still runs.
 */
export type SlackConfig =
  | {
      state: 'on';
      token: string;
      channel: string;
      shifter: string;
      expert: string;
      /** replaces https://slack.com/api/ (proxies, tests): $SLACK_API_URL */
      apiUrl?: string;
      /** where the token came from, for messages (never the token) */
      source: string;
      /** something worth telling the operator even though Slack works (e.g. a readable token file) */
      note?: string;
      /** prompts and operator actions answered in Slack (Socket Mode): on when socket_mode and an app token are set */
      socket?: SlackSocketConfig;
    }
  /** 'off': not configured; 'refused': configured in a way icefat will not use (a token inside the repo) */
  | { state: 'off' | 'refused'; note: string };

export interface SlackConfigEnv {
  env?: NodeJS.ProcessEnv;
  /** the icefat checkout a token file must stay out of (default: the one this file lives in) */
  repoRoot?: string;
  /** base for a relative token_file (default: the current directory) */
  baseDir?: string;
}

export interface SlackSocketConfig {
  /** the app-level token (xapp-...) that opens the Socket Mode connection */
  appToken: string;
  /** where it came from, for messages (never the token) */
  source: string;
  /** who may answer and act from Slack: members of this user group, and these user ids */
  operatorsGroup?: string;
  operators: string[];
}

export const SLACK_OFF_NOTE = 'Slack is off: set SLACK_BOT_TOKEN or slack.token_file';

export function readSlackConfig(station: Station, opts: SlackConfigEnv = {}): SlackConfig {
  const env = opts.env ?? process.env;
  const slack = station.slack;
  if (!slack) return { state: 'off', note: `Slack is off: station.toml has no [slack] section (channel, shifter, expert)` };
  const apiUrl = normaliseApiUrl(env.SLACK_API_URL);
  const base = { channel: slack.channel, shifter: slack.shifter, expert: slack.expert, ...(apiUrl ? { apiUrl } : {}) };

  const bot = readToken(env.SLACK_BOT_TOKEN, '$SLACK_BOT_TOKEN', slack.token_file, 'slack.token_file', opts);
  if (bot.state === 'refused') return { state: 'refused', note: `Slack is off: ${bot.why}` };
  if (bot.state === 'off') return { state: 'off', note: bot.why ? `Slack is off: ${bot.why}; ${SLACK_OFF_NOTE}` : SLACK_OFF_NOTE };
  const notes = bot.note ? [bot.note] : [];
  let socket: SlackSocketConfig | undefined;
  if (slack.socket_mode) {
    const app = readToken(env.SLACK_APP_TOKEN, '$SLACK_APP_TOKEN', slack.app_token_file, 'slack.app_token_file', opts);
    if (app.state === 'on') {
      socket = {
        appToken: app.token,
        source: app.source,
        operators: slack.operators,
        ...(slack.operators_group ? { operatorsGroup: slack.operators_group } : {}),
      };
      if (app.note) notes.push(app.note);
    } else {
      notes.push(
        `Slack buttons are off (prompts are answered at the terminal, with fat answer or in the browser): ${app.why ?? 'set SLACK_APP_TOKEN or slack.app_token_file'}`,
      );
    }
  }
  return {
    state: 'on',
    token: bot.token,
    source: bot.source,
    ...base,
    ...(notes.length ? { note: notes.join('; ') } : {}),
    ...(socket ? { socket } : {}),
  };
}

/** why: undefined when neither the variable nor the file is set */
type TokenRead =
  { state: 'on'; token: string; source: string; note?: string } | { state: 'off'; why?: string } | { state: 'refused'; why: string };

/** A token from the environment, else from its file (outside the icefat repository, not readable by others). */
function readToken(
  fromEnvRaw: string | undefined,
  envName: string,
  tokenFile: string | undefined,
  key: string,
  opts: SlackConfigEnv,
): TokenRead {
  const fromEnv = fromEnvRaw?.trim();
  if (fromEnv) return { state: 'on', token: fromEnv, source: envName };
  if (!tokenFile) return { state: 'off' };

  const file = path.resolve(opts.baseDir ?? process.cwd(), expandHome(tokenFile));
  const repo = opts.repoRoot ?? REPO_ROOT;
  if (repo && isInside(realish(file), realish(repo))) {
    return {
      state: 'refused',
      why: `the token file ${file} is inside the icefat repository (${repo}); move it outside (e.g. ~/.config/icefat/slack-token, mode 600) so it can never be committed`,
    };
  }
  let token: string;
  try {
    token = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    return { state: 'off', why: `cannot read ${key} ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (!token) return { state: 'off', why: `${key} ${file} is empty` };
  const loose = (fs.statSync(file).mode & 0o077) !== 0;
  return {
    state: 'on',
    token,
    source: file,
    ...(loose ? { note: `the Slack token file ${file} is readable by other users: chmod 600 ${file}` } : {}),
  };
}

function normaliseApiUrl(url: string | undefined): string | undefined {
  const u = url?.trim();
  if (!u) return undefined;
  // the SDK appends the method name directly
  return u.endsWith('/') ? u : `${u}/`;
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** realpath of the file, or of its nearest existing parent (the file may be missing) */
function realish(p: string): string {
  let cur = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      rest.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

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

export const SLACK_OFF_NOTE = 'Slack is off: set SLACK_BOT_TOKEN or slack.token_file';

export function readSlackConfig(station: Station, opts: SlackConfigEnv = {}): SlackConfig {
  const env = opts.env ?? process.env;
  const slack = station.slack;
  if (!slack) return { state: 'off', note: `Slack is off: station.toml has no [slack] section (channel, shifter, expert)` };
  const apiUrl = normaliseApiUrl(env.SLACK_API_URL);
  const base = { channel: slack.channel, shifter: slack.shifter, expert: slack.expert, ...(apiUrl ? { apiUrl } : {}) };

  const fromEnv = env.SLACK_BOT_TOKEN?.trim();
  if (fromEnv) return { state: 'on', token: fromEnv, source: '$SLACK_BOT_TOKEN', ...base };
  if (!slack.token_file) return { state: 'off', note: SLACK_OFF_NOTE };

  const file = path.resolve(opts.baseDir ?? process.cwd(), expandHome(slack.token_file));
  const repo = opts.repoRoot ?? REPO_ROOT;
  if (repo && isInside(realish(file), realish(repo))) {
    return {
      state: 'refused',
      note: `Slack is off: the token file ${file} is inside the icefat repository (${repo}); move it outside (e.g. ~/.config/icefat/slack-token, mode 600) so it can never be committed`,
    };
  }
  let token: string;
  try {
    token = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    return {
      state: 'off',
      note: `Slack is off: cannot read slack.token_file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); ${SLACK_OFF_NOTE}`,
    };
  }
  if (!token) return { state: 'off', note: `Slack is off: slack.token_file ${file} is empty; ${SLACK_OFF_NOTE}` };
  const loose = (fs.statSync(file).mode & 0o077) !== 0;
  return {
    state: 'on',
    token,
    source: file,
    ...base,
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

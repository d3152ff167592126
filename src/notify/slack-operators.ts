import type { WebClient } from '@slack/web-api';
import type { SlackSocketConfig } from './slack-config.js';

/**
 * Who may answer prompts and pause, resume or abort from Slack: the user ids listed in the station
 * file, and the members of its user group (usergroups.users.list, remembered for a minute so a
 * burst of clicks is one call). When the group cannot be read, the members seen last still count;
 * with none seen yet the click is refused and says why, and the terminal, `fat answer` and the
 * browser still work.
 */
export type Verdict = { ok: true } | { ok: false; why: string };

export const GROUP_TTL_MS = 60_000;

export class SlackOperators {
  private members: { ids: Set<string>; atMs: number } | null = null;

  constructor(
    private readonly client: WebClient,
    private readonly cfg: Pick<SlackSocketConfig, 'operators' | 'operatorsGroup'>,
    private readonly station: string,
    private readonly now: () => number = Date.now,
  ) {}

  async check(userId: string): Promise<Verdict> {
    if (this.cfg.operators.includes(userId)) return { ok: true };
    const group = this.cfg.operatorsGroup;
    if (group) {
      const ids = await this.groupMembers(group);
      if (ids instanceof Error)
        return {
          ok: false,
          why: `icefat could not read the members of <!subteam^${group}> (${ids.message}), so it cannot tell whether you may act for station ${this.station}; try again in a minute, or answer with \`fat answer\` or in the browser. Nothing was changed.`,
        };
      if (ids.has(userId)) return { ok: true };
    }
    return { ok: false, why: `${this.whoMay()}. Nothing was changed.` };
  }

  /** "Only members of @group and @a, @b may ..." */
  whoMay(): string {
    const who = [
      ...(this.cfg.operatorsGroup ? [`members of <!subteam^${this.cfg.operatorsGroup}>`] : []),
      ...this.cfg.operators.map((u) => `<@${u}>`),
    ];
    return `Only ${who.join(', ')} may answer station ${this.station}'s prompts or pause, resume or abort its run from Slack (the operators in its station.toml)`;
  }

  private async groupMembers(group: string): Promise<Set<string> | Error> {
    const fresh = this.members && this.now() - this.members.atMs < GROUP_TTL_MS;
    if (fresh) return this.members!.ids;
    try {
      const r = await this.client.usergroups.users.list({ usergroup: group });
      this.members = { ids: new Set(r.users ?? []), atMs: this.now() };
      return this.members.ids;
    } catch (e) {
      if (this.members) return this.members.ids;
      const code = (e as { data?: { error?: string } }).data?.error;
      return new Error(code ?? (e as Error).message);
    }
  }
}

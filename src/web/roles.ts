import type { UserTable } from '../store/schema.js';

/**
 * Who may do what through `fat serve` (the CLI on the station's own terminal is trusted as it is):
 *   viewer   a self-signed account on a lab network, until an administrator approves it: reading only
 *   shifter  answer prompts, pause and resume the master, write the logbook
 *   expert   also abort a run, exclude or include a D-Egg, retry an analysis job
 *   admin    also manage accounts
 */
export type Role = UserTable['role'];
/** lowest first */
export const ROLES: readonly Role[] = ['viewer', 'shifter', 'expert', 'admin'];

export type Action = 'answer' | 'pause' | 'resume' | 'logbook' | 'abort' | 'exclude' | 'include' | 'retry-job' | 'manage-users';

const NEEDS: Record<Action, Role> = {
  answer: 'shifter',
  pause: 'shifter',
  resume: 'shifter',
  logbook: 'shifter',
  abort: 'expert',
  exclude: 'expert',
  include: 'expert',
  'retry-job': 'expert',
  'manage-users': 'admin',
};

const article = (r: Role) => (r === 'admin' || r === 'expert' ? 'an' : 'a');

export const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/** Undefined when `role` may do `action`, else why not, for the 403. */
export function refusal(name: string, role: Role, action: Action): string | undefined {
  const need = NEEDS[action];
  if (ROLES.indexOf(role) >= ROLES.indexOf(need)) return undefined;
  const approve = role === 'viewer' ? ' (a new account is read-only until an administrator approves it)' : '';
  return `${name} is ${article(role)} ${role}${approve}: "${action}" needs ${article(need)} ${need} or higher`;
}

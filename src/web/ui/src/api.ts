import type { LoginAnswer, Session } from './types';

/**
 * The dashboard's calls to the API of `fat serve`. Reading is open; a call that changes something
 * needs a login (POST /api/login sets the session cookie and returns the CSRF token, which is kept
 * in sessionStorage and sent back as X-CSRF-Token). Errors carry the server's own text.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const CSRF_KEY = 'fat.csrf';
const USER_KEY = 'fat.user';
/** fired on window when someone logs in or out, so every login box and page follows */
export const SESSION_EVENT = 'fat-session';

export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(USER_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    return null;
  }
}

function setSession(s: LoginAnswer | null): void {
  if (s) {
    sessionStorage.setItem(CSRF_KEY, s.csrfToken);
    sessionStorage.setItem(USER_KEY, JSON.stringify({ user: s.user, role: s.role }));
  } else {
    sessionStorage.removeItem(CSRF_KEY);
    sessionStorage.removeItem(USER_KEY);
  }
  window.dispatchEvent(new Event(SESSION_EVENT));
}

async function answer<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const msg =
      body && typeof body === 'object' && 'error' in body && typeof body.error === 'string'
        ? body.error
        : `${what} failed: HTTP ${res.status} ${text.slice(0, 200)}`;
    // the server forgot our session (expired, restarted with a new store): show the login box again
    if (res.status === 401) setSession(null);
    throw new ApiError(msg, res.status);
  }
  return body as T;
}

export async function getJson<T = unknown>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  return answer<T>(res, `GET ${path}`);
}

export async function postJson<T = unknown>(path: string, body: unknown): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  const csrf = sessionStorage.getItem(CSRF_KEY);
  if (csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body ?? {}), credentials: 'same-origin' });
  return answer<T>(res, `POST ${path}`);
}

/** A multipart POST (a logbook entry with its files): the browser sets the content type and boundary. */
export async function postForm<T = unknown>(path: string, form: FormData): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const csrf = sessionStorage.getItem(CSRF_KEY);
  if (csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method: 'POST', headers, body: form, credentials: 'same-origin' });
  return answer<T>(res, `POST ${path}`);
}

export async function login(name: string, password: string): Promise<Session> {
  const r = await postJson<LoginAnswer>('/api/login', { name, password });
  setSession(r);
  return { user: r.user, role: r.role };
}

export async function logout(): Promise<void> {
  try {
    await postJson('/api/logout', {});
  } finally {
    setSession(null);
  }
}

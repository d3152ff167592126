import { ApiError } from '../api';

/**
 * What the logbook pages read from /api/logbook, and the one call api.ts has no form of: a
 * multipart POST (text, tags and files) with the session's CSRF token, which api.ts keeps under
 * 'fat.csrf' in sessionStorage.
 */
export interface Attachment {
  id: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface Entry {
  id: number;
  station: string;
  run: number | null;
  author: string;
  createdAt: string;
  text: string;
  tags: string[];
  source: 'user' | 'auto';
  kind: string;
  attachments: Attachment[];
}

export interface NewRunForm {
  station: string;
  run: number;
  date: string;
  comment: string;
  runFile: string;
  modules: Array<{ port: number; serial: string; wirePair: number; state: string }>;
  checks: Array<{ check: string; subject: string; verdict: string; message: string; at: string }>;
  schedule: { file: string; archived: string; sha256: string; masterKey: string; state: string } | null;
  shifters: string[];
}

export async function postForm<T>(path: string, form: FormData): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const csrf = sessionStorage.getItem('fat.csrf');
  if (csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method: 'POST', headers, body: form, credentials: 'same-origin' });
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
        : `POST ${path} failed: HTTP ${res.status}`;
    throw new ApiError(msg, res.status);
  }
  return body as T;
}

export function fmtSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

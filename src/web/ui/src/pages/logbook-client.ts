/** What the logbook pages read from /api/logbook (entries are posted with api.ts's postForm). */
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

export function fmtSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Home } from '../station/workspace.js';

/**
 * The logbook's attachment store: <home>/logbook/attachments/<ab>/<sha256>, named by content, so a
 * file's name given by a person never becomes a path (it is only shown and offered on download,
 * sanitised). Files are written to a temporary name and renamed, so a crash leaves no half file.
 */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
export const MAX_ATTACHMENTS = 20;

export function attachmentsDir(home: Pick<Home, 'dir'>): string {
  return path.join(home.dir, 'logbook', 'attachments');
}

/** A file name fit to show and to offer for download: no folders, no control characters, no leading dots. */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._ ()+-]/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(-120);
  return clean || 'attachment';
}

/** The content type an attachment is served with: known by its extension, else a download. */
const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
  '.ini': 'text/plain; charset=utf-8',
  '.toml': 'text/plain; charset=utf-8',
  '.hdf5': 'application/x-hdf5',
  '.h5': 'application/x-hdf5',
};

export function contentTypeOf(filename: string): string {
  return TYPES[path.extname(filename).toLowerCase()] ?? 'application/octet-stream';
}

/** Shown in the browser; anything else (HTML, scripts, unknown) is only downloaded. */
export function isInline(contentType: string): boolean {
  return /^(image\/(png|jpeg|gif|webp)|application\/pdf|text\/plain|text\/csv|application\/json)/.test(contentType);
}

export interface StoredFile {
  sha256: string;
  size: number;
  /** relative to attachmentsDir */
  path: string;
}

export function storeAttachment(home: Pick<Home, 'dir'>, data: Uint8Array): StoredFile {
  const sha256 = crypto.createHash('sha256').update(data).digest('hex');
  const rel = path.join(sha256.slice(0, 2), sha256);
  const file = path.join(attachmentsDir(home), rel);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  }
  return { sha256, size: data.byteLength, path: rel };
}

/** The absolute file of a stored path, or undefined when it would leave the attachment folder or is gone. */
export function attachmentPath(home: Pick<Home, 'dir'>, rel: string): string | undefined {
  const root = attachmentsDir(home);
  const file = path.resolve(root, rel);
  const inside = path.relative(root, file);
  if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) return undefined;
  try {
    const real = fs.realpathSync(file);
    const realInside = path.relative(fs.realpathSync(root), real);
    if (realInside.startsWith('..') || path.isAbsolute(realInside) || !fs.statSync(real).isFile()) return undefined;
    return real;
  } catch {
    return undefined;
  }
}

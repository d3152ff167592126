import fs from 'node:fs';

/** Reads a JSON object from a file; a missing or corrupt one is an error naming the file (nothing is overwritten). */
export function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} cannot be read`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}); it was left untouched: restore it from a backup`, { cause: e });
  }
}

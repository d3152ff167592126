import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import type { LogbookEntry } from '../records/api-types.js';
import type * as Entries from '../logbook/entries.js';
import type { Workspace } from '../station/workspace.js';
import { CliError, emit, withWorkspace, type AnyCommand } from './common.js';
import { intOption } from './parse.js';

/** `fat log post|search|show`: the FAT logbook from a terminal (the same entries as the dashboard's). */
const collect = (v: string, prev: string[]) => [...prev, v];

async function asCli<T>(fn: () => Promise<T>): Promise<T> {
  const { LogbookError } = await import('../logbook/entries.js');
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LogbookError) throw new CliError(e.message);
    throw e;
  }
}

/** Runs `fn` on the logbook as people read it: the automatic entries brought up to date first. */
async function readLogbook(cmd: AnyCommand, fn: (ws: Workspace, entries: typeof Entries) => Promise<void>): Promise<void> {
  return withWorkspace(cmd, async (ws) => {
    const { syncAutoEntries } = await import('../logbook/auto.js');
    const entries = await import('../logbook/entries.js');
    await syncAutoEntries(ws);
    await fn(ws, entries);
  });
}

function readAttachment(file: string, MAX_ATTACHMENT_BYTES: number): { filename: string; data: Uint8Array } {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new CliError(`--attach ${file}: cannot read it: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw new CliError(`--attach ${file}: not a file`);
  if (st.size > MAX_ATTACHMENT_BYTES)
    throw new CliError(
      `--attach ${file}: ${(st.size / 1048576).toFixed(1)} MiB, at most ${MAX_ATTACHMENT_BYTES / 1048576} MiB are allowed`,
    );
  return { filename: path.basename(file), data: fs.readFileSync(file) };
}

function summary(e: LogbookEntry): string {
  const first = e.text.split('\n').find((l) => l.trim()) ?? '';
  const run = e.run === null ? '' : ` run ${e.run}`;
  const tags = e.tags.length ? ` [${e.tags.join(', ')}]` : '';
  const files = e.attachments.length ? ` (${e.attachments.length} file${e.attachments.length > 1 ? 's' : ''})` : '';
  return `#${e.id}  ${e.createdAt.slice(0, 16).replace('T', ' ')}  ${e.author}${run}${tags}${files}: ${first.slice(0, 100)}`;
}

function full(e: LogbookEntry): string[] {
  return [
    `#${e.id} by ${e.author} at ${e.createdAt}${e.run === null ? '' : `, run ${e.run}`} (${e.source}, ${e.kind})`,
    ...(e.tags.length ? [`tags: ${e.tags.join(', ')}`] : []),
    '',
    e.text,
    ...(e.attachments.length
      ? ['', 'attachments:', ...e.attachments.map((a) => `  ${a.id}: ${a.filename} (${a.size} bytes, sha256 ${a.sha256.slice(0, 16)}…)`)]
      : []),
  ];
}

export function registerLogbook(program: Command<[], { home?: string }>): void {
  const log = program.command('log').description('the FAT logbook: post, search, show entries');
  log
    .command('post')
    .description('post an entry (Markdown); the author is --author, else $FAT_OPERATOR or the login name')
    .argument('<text>', 'the entry, Markdown ("-" reads it from standard input)')
    .option('--tag <tag>', 'a tag (repeatable)', collect, [] as string[])
    .option('--attach <file>', 'attach a file (repeatable)', collect, [] as string[])
    .option('--run <n>', 'the run the entry is about', intOption('--run'))
    .option('--author <name>', 'who writes it')
    .option('--json', 'print the entry as JSON')
    .action(async (text, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const body = text === '-' ? fs.readFileSync(0, 'utf8') : text;
        const { postEntry } = await import('../logbook/entries.js');
        const { MAX_ATTACHMENT_BYTES } = await import('../logbook/files.js');
        const { operatorName } = await import('../engine/prompts.js');
        const files = opts.attach.map((f) => readAttachment(f, MAX_ATTACHMENT_BYTES));
        const e = await asCli(() =>
          postEntry(ws, { text: body, author: opts.author ?? operatorName(), tags: opts.tag, run: opts.run ?? null, files }),
        );
        emit(opts.json, e, () => `posted ${summary(e)}`);
      }),
    );
  log
    .command('search')
    .description('entries, newest first: all words of QUERY in the text, author, tags or file names')
    .argument('[query]', 'words to look for')
    .option('--tag <tag>', 'only entries with this tag')
    .option('--run <n>', 'only entries of this run', intOption('--run'))
    .option('--author <name>', 'only entries by this author')
    .option('--limit <n>', 'at most this many (default 200)', intOption('--limit'))
    .option('--json', 'print the entries as JSON')
    .action(async (query, opts, cmd) =>
      readLogbook(cmd, async (ws, { searchEntries }) => {
        const found = await asCli(() =>
          searchEntries(ws, { text: query, tag: opts.tag, run: opts.run, author: opts.author, limit: opts.limit }),
        );
        emit(opts.json, found, () => (found.length ? found.map(summary) : 'no logbook entries found'));
      }),
    );
  log
    .command('show')
    .description('one entry in full')
    .argument('<id>', 'the entry number', intOption('ID'))
    .option('--json', 'print the entry as JSON')
    .action(async (id, opts, cmd) =>
      readLogbook(cmd, async (ws, { getEntry }) => {
        const e = await getEntry(ws, id);
        if (!e) throw new CliError(`there is no logbook entry ${id} (fat log search lists them)`);
        emit(opts.json, e, () => full(e));
      }),
    );
}

import type { Command } from '@commander-js/extra-typings';
import { CliError, emit, withWorkspace } from './common.js';

/** `fat store copy --to postgres://...`: this station's SQLite history into a shared store. */
export function registerStore(program: Command<[], { home?: string }>): void {
  const store = program.command('store').description("the store: copy this station's SQLite history into a shared PostgreSQL");
  store
    .command('copy')
    .description("copy every table of this station's store into another store; running it again copies only what is new")
    .requiredOption('--to <url>', 'the target store, postgres://user@host:5432/db (or sqlite:/path)')
    .option('--json', 'print the counts as JSON')
    .action(async (opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { copyStore, sourceName } = await import('../store/copy.js');
        const { openStore } = await import('../store/open.js');
        if (!/^(postgres(ql)?:\/\/|sqlite:)/.test(opts.to)) {
          throw new CliError(`--to ${opts.to}: expected a postgres://user@host:5432/db URL (or sqlite:/path/fat.db)`);
        }
        if (ws.db.getExecutor().adapter.constructor.name.toLowerCase().includes('postgres')) {
          throw new CliError(`the store of station ${ws.station.name} is PostgreSQL already: \`fat store copy\` copies a SQLite store`);
        }
        let target;
        try {
          target = await openStore(opts.to);
        } catch (e) {
          throw new CliError(`cannot open the target store ${opts.to}: ${(e as Error).message}`);
        }
        try {
          const report = await copyStore(ws.db, target, await sourceName(ws.db, ws.station.name));
          const total = (k: 'copied' | 'skipped' | 'matched' | 'orphans') => report.tables.reduce((s, t) => s + t[k], 0);
          emit(opts.json, { ...report, copied: total('copied'), skipped: total('skipped'), matched: total('matched') }, () => [
            `copied station ${ws.station.name} (${report.source}) to ${opts.to.replace(/\/\/[^@/]*@/, '//…@')}`,
            ...report.tables.map(
              (t) =>
                `  ${t.table.padEnd(22)} ${String(t.copied).padStart(7)} copied ${String(t.skipped).padStart(7)} skipped` +
                (t.matched ? `, ${t.matched} already there` : '') +
                (t.orphans ? `, ${t.orphans} reference(s) to missing rows written as null` : '') +
                (t.note ? ` (${t.note})` : ''),
            ),
            `  ${'total'.padEnd(22)} ${String(total('copied')).padStart(7)} copied ${String(total('skipped')).padStart(7)} skipped`,
          ]);
        } catch (e) {
          throw new CliError(`fat store copy stopped (tables before it are copied; run it again to go on): ${(e as Error).message}`);
        } finally {
          await target.destroy();
        }
      }),
    );
}

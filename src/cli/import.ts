import type { Command } from '@commander-js/extra-typings';
import { CliError, emit, withWorkspace } from './common.js';

/** `fat import PATH`: the original system's run and D-Egg JSON files into the store. */
export function registerImport(program: Command<[], { home?: string }>): void {
  program
    .command('import')
    .description(
      "import the original system's JSON tree (run/run_NNNNN.json and run_NNNNN/<DEgg>.json); running it again adds only what is new",
    )
    .argument('<path>', 'the JSON root of the original system (RUN_DIR, holding run/)')
    .option('--station <name>', 'the station the runs are filed under', 'imported')
    .option('--json', 'print the counts and problems as JSON')
    .action(async (root, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { importOriginal } = await import('../fat/import-original.js');
        const { goalpostsFile, loadGoalposts } = await import('../records/goalposts-file.js');
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(opts.station)) {
          throw new CliError(`--station "${opts.station}": a station name is 1-64 letters, digits, ".", "_" or "-"`);
        }
        let report;
        try {
          report = await importOriginal(ws.db, root, opts.station, loadGoalposts(goalpostsFile(ws.home.dir)));
        } catch (e) {
          throw new CliError(`fat import ${root}: ${(e as Error).message}`);
        }
        emit(opts.json, report, () => [
          `imported ${root} as station ${report.station}:`,
          `  runs     ${report.runs.new} new, ${report.runs.known} already imported`,
          `  modules  ${report.modules.new} new, ${report.modules.known} already imported`,
          `  entries  ${report.entries.new} new, ${report.entries.known} already imported (kept verbatim)`,
          `  results  ${report.results} new (every quantity the files record, judged against the goalposts)`,
          ...(report.problems.length
            ? [
                `${report.problems.length} problem(s), the rest was imported:`,
                ...report.problems.map((p) => `  ${p.file}${p.key ? ` ${p.key}` : ''}: ${p.message}`),
              ]
            : []),
        ]);
        if (report.problems.length) process.exitCode = 1;
      }),
    );
}

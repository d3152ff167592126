import type { Command } from '@commander-js/extra-typings';
import { CliError, emit, withWorkspace } from './common.js';

export function registerRun(program: Command<[], { home?: string }>): void {
  const run = program.command('run').description('FAT runs');
  run
    .command('new')
    .description('new run number, module records and run JSON (the original create_configs.py)')
    .option('--comment <text>', 'a short comment about this run (asked for when missing on a terminal)')
    .option('--allow-missing', 'create the run with the D-Eggs that answer even if some do not')
    .option('--json', 'print JSON')
    .action(async (opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { confirm, isCancel, text } = await import('@clack/prompts');
        const { createRun } = await import('../fat/run-new.js');
        let comment = opts.comment;
        const tty = process.stdin.isTTY && process.stdout.isTTY;
        if (comment === undefined && tty) {
          const answer = await text({
            message: 'Please provide a short comment about this run:',
            validate: (v) => (v?.trim() ? undefined : 'a comment is needed'),
          });
          if (isCancel(answer)) throw new CliError('no run created');
          comment = answer;
        }
        if (!comment?.trim()) throw new CliError('a run needs a comment: fat run new --comment "batch 3, room temperature"');
        const r = await createRun(ws, {
          comment,
          allowMissing: opts.allowMissing,
          confirmMissing: tty
            ? async (missing) => {
                process.stdout.write(missing.map((m) => `No connection to port ${m.port}: ${m.error}`).join('\n') + '\n');
                const ok = await confirm({
                  message: `${missing.length} D-Egg(s) did not answer. Create the run without them?`,
                  initialValue: false,
                });
                return ok === true;
              }
            : undefined,
        });
        emit(opts.json, r, () => [
          `New Run Number is: ${r.runNumber}. Add this to the FAT logbook.`,
          `Run file: ${r.runFile}`,
          'List of D-Eggs to add to the FAT logbook:',
          ...r.modules.map((m) => `  ${m.port}: ${m.serial}  (ICM ${m.icmId}, FPGA ${m.fpgaVersion}, iceboot ${m.softwareVersion})`),
          ...r.missing.map((m) => `  ${m.port}: MISSING (${m.error})`),
        ]);
      }),
    );
}

import { Option, type Command } from '@commander-js/extra-typings';
import { CliError, emit, withWorkspace } from './common.js';

export function registerSetup(program: Command<[], { home?: string }>): void {
  program
    .command('setup')
    .description('start and verify the four DomNet instances (the original setup_deggs.py)')
    .option('--json', 'print JSON')
    .option('--stop', 'stop the DomNet instances started by an earlier `fat setup`')
    .addOption(
      new Option('--supervise', 'run the DomNet supervisor in the foreground (what `fat setup` starts in the background)').hideHelp(),
    )
    .action(async (opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { runSetup, stopSupervisor } = await import('../fat/setup.js');
        if (opts.supervise) {
          const { runSupervisor } = await import('../fat/domnet-supervisor.js');
          await runSupervisor(ws.station, ws.home.domnetStatusFile, (m) => process.stdout.write(`${new Date().toISOString()} ${m}\n`));
          return;
        }
        if (opts.stop) {
          const stopped = await stopSupervisor(ws);
          process.stdout.write(stopped ? 'DomNet instances stopped\n' : 'no DomNet instances were running\n');
          return;
        }
        const r = await runSetup(ws, (l) => process.stderr.write(l + '\n'));
        emit(opts.json, r, () => [
          ...r.instances.map((i) =>
            i.state === 'up'
              ? `  DomNet ${i.index} (${i.tty}): OK, ICMs ${i.addresses.join(' ')}, ports ${i.basePort}-${i.basePort + 3}, command port ${i.icmPort}`
              : `  DomNet ${i.index} (${i.tty}): FAILED: ${i.error ?? i.state} (ports ${i.basePort}-${i.basePort + 3})`,
          ),
          ...r.modules.filter((m) => !m.ok).map((m) => `  D-Egg on port ${m.port}: NOT ANSWERING: ${m.message}`),
          ...r.modules
            .filter((m) => m.ok && m.flashed)
            .map((m) => `  D-Egg on port ${m.port}: FPGA was unconfigured, flashed (version ${m.fpgaVersion})`),
          r.summary,
          r.ok
            ? 'DomNet instances keep running in the background (`fat setup --stop` ends them).'
            : 'Fix what failed and run `fat setup` again.',
        ]);
        if (!r.ok) throw new CliError(r.summary);
      }),
    );
}

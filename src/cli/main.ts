import { Command } from '@commander-js/extra-typings';

type Register = (program: Command) => void;

/**
 * The commands, in the order `fat --help` lists them. A command's module is loaded only when it
 * runs (or for the full help): loading all of them, with the master's and the analyses' import
 * trees, cost every `fat status` or `fat answer` two seconds.
 */
const control = () => import('./control.js').then((m) => m.registerControl);
const COMMANDS: Array<[string[], () => Promise<Register>]> = [
  [['demo'], () => import('./demo.js').then((m) => m.registerDemo)],
  [['sim'], () => import('./sim.js').then((m) => m.registerSim)],
  [['preflight'], () => import('./preflight.js').then((m) => m.registerPreflight)],
  [['setup'], () => import('./setup.js').then((m) => m.registerSetup)],
  [['run'], () => import('./run.js').then((m) => m.registerRun)],
  [['check'], () => import('./check.js').then((m) => m.registerCheck)],
  [['master'], () => import('./master.js').then((m) => m.registerMaster)],
  [['measure'], () => import('./measure.js').then((m) => m.registerMeasure)],
  [['results'], () => import('./results.js').then((m) => m.registerResults)],
  [['report'], () => import('./report.js').then((m) => m.registerReport)],
  [['answer'], () => import('./answer.js').then((m) => m.registerAnswer)],
  [['pause', 'resume', 'abort', 'exclude', 'include'], control],
  [['status'], () => import('./status.js').then((m) => m.registerStatus)],
  [['schedule'], () => import('./schedule.js').then((m) => m.registerSchedule)],
  [['serve'], () => import('./serve.js').then((m) => m.registerServe)],
  [['user'], () => import('./user.js').then((m) => m.registerUser)],
  [['log'], () => import('./logbook.js').then((m) => m.registerLogbook)],
  [['worker'], () => import('./worker.js').then((m) => m.registerWorker)],
  [['jobs'], () => import('./jobs.js').then((m) => m.registerJobs)],
  [['store'], () => import('./store.js').then((m) => m.registerStore)],
  [['notify'], () => import('./notify.js').then((m) => m.registerNotify)],
  [['import'], () => import('./import.js').then((m) => m.registerImport)],
];

/** The command word of argv (after the global options), or undefined. */
function commandWord(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--home') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

const program = new Command()
  .name('fat')
  .description('icefat: the Final Acceptance Test of IceCube Upgrade D-Egg modules')
  .option('--home <dir>', 'home folder of the station (default: $FAT_HOME or ./fat-home)')
  .showHelpAfterError('(run `fat --help` for the commands, or `fat <command> --help`)')
  .configureHelp({ sortSubcommands: false });

const word = commandWord(process.argv);
const one = COMMANDS.find(([names]) => word !== undefined && names.includes(word));
for (const [, load] of one ? [one] : COMMANDS) (await load())(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as Error & { exitCode?: number };
  process.stderr.write(`error: ${err.message}\n`);
  // 2: the configuration is wrong, restarting cannot help (systemd does not retry it)
  if (err.name === 'ScheduleError' || err.name === 'ConfigError' || err.name === 'IniError') err.exitCode ??= 2;
  if (process.env.FAT_DEBUG && err.stack) process.stderr.write(err.stack + '\n');
  process.exitCode = err.exitCode ?? 1;
}

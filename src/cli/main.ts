import { Command } from '@commander-js/extra-typings';
import { registerAnswer } from './answer.js';
import { registerCheck } from './check.js';
import { registerControl } from './control.js';
import { registerDemo } from './demo.js';
import { registerMaster } from './master.js';
import { registerMeasure } from './measure.js';
import { registerReport } from './report.js';
import { registerResults } from './results.js';
import { registerRun } from './run.js';
import { registerSchedule } from './schedule.js';
import { registerServe } from './serve.js';
import { registerSetup } from './setup.js';
import { registerSim } from './sim.js';
import { registerStatus } from './status.js';
import { registerStore } from './store.js';
import { registerImport } from './import.js';
import { registerUser } from './user.js';
import { registerLogbook } from './logbook.js';
import { registerJobs } from './jobs.js';
import { registerWorker } from './worker.js';

const program = new Command()
  .name('fat')
  .description('icefat: the Final Acceptance Test of IceCube Upgrade D-Egg modules')
  .option('--home <dir>', 'home folder of the station (default: $FAT_HOME or ./fat-home)')
  .showHelpAfterError('(run `fat --help` for the commands, or `fat <command> --help`)')
  .configureHelp({ sortSubcommands: false });

registerDemo(program);
registerSim(program);
registerSetup(program);
registerRun(program);
registerCheck(program);
registerMaster(program);
registerMeasure(program);
registerResults(program);
registerReport(program);
registerAnswer(program);
registerControl(program);
registerStatus(program);
registerSchedule(program);
registerServe(program);
registerUser(program);
registerLogbook(program);
registerWorker(program);
registerJobs(program);
registerStore(program);
registerImport(program);

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

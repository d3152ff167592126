import { formatDuration } from '../engine/forecast.js';
import { CliError } from './common.js';

/**
 * `fat master CONFIG --dry-run` (src/engine/dry-run.ts): says what it does, runs it and prints how
 * long each task took in lab time, next to its estimate. $FAT_DRY_RUN_BASE pins the simulated
 * lab's base port (tests).
 */
export async function printDryRun(config: string): Promise<void> {
  process.stderr.write('dry run: the whole schedule on a simulated lab, on virtual time, in a throw-away home; prompts answered yes\n');
  const { dryRun } = await import('../engine/dry-run.js');
  const r = await dryRun(config, { basePort: Number(process.env.FAT_DRY_RUN_BASE) || undefined });
  process.stdout.write(
    [
      `Dry run of ${config} (${r.outcome}; ${r.wallS.toFixed(0)} s of wall time)`,
      ...r.tasks.map(
        (t) => `  [${t.index}] ${t.section} (${t.kind})  ${t.state}  ${formatDuration(t.labS)}  (estimate ${formatDuration(t.estimateS)})`,
      ),
      `Total: ${formatDuration(r.totalLabS)} of lab time (estimate ${formatDuration(r.totalEstimateS)})`,
    ].join('\n') + '\n',
  );
  if (!r.outcome.startsWith('completed')) throw new CliError(`the dry run did not complete: ${r.outcome}`);
}

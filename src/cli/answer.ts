import type { Command } from '@commander-js/extra-typings';
import { CliError, withWorkspace } from './common.js';

export function registerAnswer(program: Command<[], { home?: string }>): void {
  program
    .command('answer')
    .description('answer the open prompt of the master from any terminal')
    .argument('<answer>', 'yes or no')
    .option('--reason <text>', 'why (needed for "no": the run stops)')
    .action(async (answer, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { AnswerError, answerOpenPrompt } = await import('../engine/answer-open.js');
        const { openPromptOf, operatorName } = await import('../engine/prompts.js');
        const a = answer.trim().toLowerCase();
        if (!['yes', 'y', 'no', 'n'].includes(a)) throw new CliError(`answer "yes" or "no", not "${answer}"`);
        const yes = a.startsWith('y');
        const prompt = await openPromptOf(ws);
        if (!prompt) throw new CliError(`no prompt is open on station ${ws.station.name}: nothing was answered`);
        let reason = opts.reason?.trim() || null;
        if (!yes && !reason) {
          if (!process.stdin.isTTY) throw new CliError('"no" stops the run: give a reason with --reason TEXT');
          const { text, isCancel } = await import('@clack/prompts');
          const r = await text({
            message: 'Stopping the run. Please provide a reason:',
            validate: (v) => (v?.trim() ? undefined : 'a reason is needed'),
          });
          if (isCancel(r)) throw new CliError('nothing was answered');
          reason = r.trim();
        }
        let answered;
        try {
          answered = await answerOpenPrompt(ws, { answer: yes ? 'yes' : 'no', reason, by: operatorName(), via: 'cli' });
        } catch (e) {
          if (e instanceof AnswerError) throw new CliError(e.message);
          throw e;
        }
        process.stdout.write(
          `Answered ${yes ? 'yes' : 'no'} to: ${answered.message}\n${yes ? 'The master goes on.' : 'The master stops the run cleanly.'}\n`,
        );
      }),
    );
}

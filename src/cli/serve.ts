import type { Command } from '@commander-js/extra-typings';
import { CliError, withWorkspace } from './common.js';
import { intOption } from './parse.js';

/** `fat serve [--port N] [--host H]`: the HTTP API (status, results, live events, answers, files, metrics). */
export function registerServe(program: Command<[], { home?: string }>): void {
  program
    .command('serve')
    .description('serve the HTTP API of the station (127.0.0.1 unless --host) until Ctrl-C')
    .option('--port <n>', 'TCP port (0: any free port)', intOption('--port'), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--signup', 'beyond loopback: let people sign up themselves, as read-only viewers an admin approves')
    .option('--trust-proxy', 'behind a reverse proxy: believe its X-Forwarded-For and X-Forwarded-Proto (Secure cookies over HTTPS)')
    .action(async (opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { startServer } = await import('../web/server.js');
        const { dashboardBuilt, UI_DIST } = await import('../web/static.js');
        const port = opts.port;
        if (port < 0 || port > 65535) throw new CliError(`--port must be 0-65535, not ${port}`);
        const { signupPolicyFor } = await import('../web/accounts-api.js');
        const signup = signupPolicyFor(opts.host, Boolean(opts.signup));
        const server = await startServer(ws, opts.host, port, { signup, trustProxy: Boolean(opts.trustProxy) });
        process.stdout.write(`fat serve: station ${ws.station.name} at ${server.url} (Ctrl-C stops)\n`);
        if (signup !== 'open')
          process.stdout.write(
            signup === 'off'
              ? 'fat serve: self sign-up is off (listening beyond loopback); add accounts with `fat user add NAME`\n'
              : 'fat serve: sign-ups are read-only viewers until an admin approves them (`fat user role NAME shifter`)\n',
          );
        if (!dashboardBuilt())
          process.stderr.write(
            `fat serve: the dashboard is not built (${UI_DIST} is missing): run \`npm run build:ui\` in the icefat folder; the API works without it\n`,
          );
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await server.close();
        process.stdout.write('fat serve: stopped\n');
      }),
    );
}

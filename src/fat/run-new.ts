import { sql } from 'kysely';
import { wirePairOf } from '../lab/station.js';
import { recordEvent } from '../records/check-results.js';
import type { Workspace } from '../station/workspace.js';
import { readIdentity, type ModuleIdentity } from '../station/module-link.js';
import { findByIcmId, loadRegistry, type RegistryEntry } from '../station/registry.js';
import { exportDoc, insertDocs } from '../records/json-docs.js';
import { deggFilePath, freshDeggJson, maxRunNumberOnDisk, runFilePath, runJsonBody } from '../records/run-files.js';
import { servedPorts } from './setup.js';

/**
 * `fat run new` (the original `create_configs.py`): the next run number, one module record per
 * answering D-Egg built from its identity and the registry, stored, and exported as
 * run_NNNNN.json plus one D-Egg JSON file each.
 */
export interface NewRunModule {
  port: number;
  wirePair: number;
  serial: string;
  icmId: string;
  fpgaVersion: number;
  softwareVersion: number;
  jsonFile: string;
}

export interface NewRunResult {
  runNumber: number;
  runId: number;
  runFile: string;
  date: string;
  comment: string;
  modules: NewRunModule[];
  missing: Array<{ port: number; error: string }>;
}

export class RunSetupError extends Error {}

export async function createRun(
  ws: Workspace,
  opts: {
    comment: string;
    operator?: string;
    allowMissing?: boolean;
    confirmMissing?: (missing: Array<{ port: number; error: string }>) => Promise<boolean>;
  },
): Promise<NewRunResult> {
  const comment = opts.comment.trim();
  if (!comment) throw new RunSetupError('a run needs a comment (--comment TEXT): it goes into the run file and the FAT logbook');
  const registry = loadRegistry(ws.home.registryFile);
  const { ports, found, missing } = await probeModules(ws);
  if (!found.length) throw new RunSetupError(`no D-Egg answered on ports ${ports.join(', ') || '(none)'}: run \`fat setup\` first`);
  if (missing.length && !opts.allowMissing && !(await opts.confirmMissing?.(missing))) {
    throw new RunSetupError(
      `${missing.length} D-Egg(s) did not answer; no run was created:\n` +
        missing.map((m) => `  port ${m.port}: ${m.error}`).join('\n') +
        '\nFix them (fat setup) or create the run without them with --allow-missing.',
    );
  }

  const entries = registryEntries(ws, registry, found);

  const maxDb = await ws.db
    .selectFrom('runs')
    .select(sql<number>`max(run_number)`.as('n'))
    .where('station', '=', ws.station.name)
    .executeTakeFirst();
  const runNumber = Math.max(Number(maxDb?.n ?? 0), maxRunNumberOnDisk(ws.home.jsonDir)) + 1;
  const date = new Date().toISOString().slice(0, 10);
  const runFile = runFilePath(ws.home.jsonDir, runNumber);

  // the rows and the JSON documents in one transaction, then the documents' files
  const modules: NewRunModule[] = found
    .sort((a, b) => a.port - b.port)
    .map((m) => {
      const e = entries.get(m.port)!;
      const jsonFile = deggFilePath(ws.home.jsonDir, runNumber, e.serial);
      return {
        port: m.port,
        wirePair: wirePairOf(ws.station, m.port).wirePair,
        serial: e.serial,
        icmId: m.icmId,
        fpgaVersion: m.fpgaVersion,
        softwareVersion: m.softwareVersion,
        jsonFile,
      };
    });

  const operator = opts.operator ?? process.env.FAT_OPERATOR ?? process.env.USER ?? 'unknown';
  const runId = await insertRun(ws, { runNumber, comment, date, operator, runFile }, modules, found, entries);
  for (const file of [runFile, ...modules.map((m) => m.jsonFile)]) await exportDoc(ws, file);
  await recordEvent(
    ws,
    runId,
    missing.length ? 'warn' : 'info',
    'run.created',
    `run ${runNumber} created with ${modules.length} D-Eggs: ${comment}`,
    { missing },
  );
  return { runNumber, runId, runFile, date, comment, modules, missing };
}

/** Every served port asked who it is; the ports with no answer, or no DomNet instance running, missing. */
async function probeModules(ws: Workspace) {
  const host = ws.station.daq_host;
  const ports = servedPorts(ws);
  const probes = await Promise.allSettled(ports.map((p) => readIdentity(host, p, ws.clock)));
  const found: ModuleIdentity[] = [];
  const missing: Array<{ port: number; error: string }> = [];
  probes.forEach((r, i) =>
    r.status === 'fulfilled' ? found.push(r.value) : missing.push({ port: ports[i], error: (r.reason as Error).message }),
  );
  for (const p of ws.station.domnet.instances.flatMap((inst) =>
    Array.from({ length: ws.station.domnet.devices_per_wire_pair }, (_, d) => inst.base_port + d),
  )) {
    if (!ports.includes(p)) missing.push({ port: p, error: 'its DomNet instance is not running (fat setup)' });
  }
  missing.sort((a, b) => a.port - b.port);
  return { ports, found, missing };
}

/** The registry entry of each module by port; throws when one is unknown or has the wrong FPGA. */
function registryEntries(ws: Workspace, registry: ReturnType<typeof loadRegistry>, found: ModuleIdentity[]): Map<number, RegistryEntry> {
  const problems: string[] = [];
  const entries = new Map<number, RegistryEntry>();
  for (const m of found) {
    const e = findByIcmId(registry, m.icmId);
    if (!e) problems.push(`port ${m.port}: ICM ID ${m.icmId} is not in ${ws.home.registryFile}; add the module to the registry`);
    else entries.set(m.port, e);
    if (m.fpgaVersion !== ws.station.expected.fpga_version) {
      problems.push(
        `port ${m.port}: FPGA version ${m.fpgaVersion}, expected ${ws.station.expected.fpga_version}; run \`fat setup\` to reflash`,
      );
    }
  }
  if (problems.length) throw new RunSetupError(`no run was created:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return entries;
}

/** The rows and the JSON documents in one transaction; the run's id. */
async function insertRun(
  ws: Workspace,
  r: { runNumber: number; comment: string; date: string; operator: string; runFile: string },
  modules: NewRunModule[],
  found: ModuleIdentity[],
  entries: Map<number, RegistryEntry>,
): Promise<number> {
  const { runNumber, comment, date, operator, runFile } = r;
  return ws.db.transaction().execute(async (tx) => {
    const run = await tx
      .insertInto('runs')
      .values({ station: ws.station.name, run_number: runNumber, comment, date, operator, run_file: runFile })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('modules')
      .values(
        modules.map((m) => {
          const id = found.find((f) => f.port === m.port)!;
          return {
            run_id: run.id,
            port: m.port,
            wire_pair: m.wirePair,
            degg_serial: m.serial,
            icm_id: m.icmId,
            fpga_version: m.fpgaVersion,
            software_version: m.softwareVersion,
            flash_id: id.flashId,
            mainboard_id: id.mainboardId,
            registry: JSON.stringify(entries.get(m.port)),
            json_file: m.jsonFile,
            state: 'active',
          };
        }),
      )
      .execute();
    await insertDocs(tx, ws.station.name, [
      { path: runFile, doc: runJsonBody(Object.fromEntries(modules.map((m) => [m.serial, m.jsonFile])), comment, date), runId: run.id },
      ...modules.map((m) => ({
        path: m.jsonFile,
        doc: freshDeggJson(
          found.find((f) => f.port === m.port)!,
          entries.get(m.port)!,
        ),
        runId: run.id,
      })),
    ]);
    return run.id;
  });
}

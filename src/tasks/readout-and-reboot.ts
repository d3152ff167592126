import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { newDataDir } from '../station/data-dirs.js';
import type { TaskRecord } from '../records/task-record.js';
import { runLanes, wirePairLanes } from '../station/wire-pair-jobs.js';
import { iniNumber, iniText } from './values.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';

/**
 * `readout_and_reboot` (and `readout_and_readout` without the reboot): until `set_time` seconds
 * have passed (one pass when 0), each module in turn is warm-rebooted (reboot, boot, FPGA
 * configured again) and all its slow-control sensors are appended to a CSV per D-Egg, as the
 * original's deprecated monitoring did (ReadoutReboot_NN in the D-Egg file).
 */
const params = z.object({ comment: iniText().default(''), set_time: iniNumber({ min: 0, unit: 's' }).default(0) });
type P = z.infer<typeof params>;

const SETTLE_MS = 3000;

async function readoutOnce(ctx: TaskContext, m: ActiveModule, reboot: boolean, csv: string): Promise<number> {
  return ctx.lab.module(m.port, async (s) => {
    await ctx.ws.clock.sleep(SETTLE_MS, ctx.signal);
    let reflashes = 0;
    if (reboot) {
      await s.reboot();
      await s.boot();
      await s.flashConfigureFPGA();
      reflashes = 1;
      const v = await s.fpgaVersion();
      if (v !== ctx.ws.station.expected.fpga_version)
        throw new Error(
          `D-Egg ${m.serial} (port ${m.port}) has FPGA version ${v} after its reboot, expected ${ctx.ws.station.expected.fpga_version}`,
        );
    }
    const slo = await s.readAllSloAdc();
    const pressure = await s.pressure();
    if (!fs.existsSync(csv))
      fs.writeFileSync(csv, ['Local time', ...slo.map((r) => `${r.name} [${r.unit}]`), 'pressure', 'reflash_count'].join(',') + '\n');
    fs.appendFileSync(csv, [new Date(ctx.ws.clock.now()).toISOString(), ...slo.map((r) => r.value), pressure, reflashes].join(',') + '\n');
    return s.info.fpgaVersion;
  });
}

/**
 * One `<type>_NN` entry per task in a D-Egg file, however often the task ran: an attempt after a
 * failed one replaces the entry that attempt left instead of adding a second.
 */
async function recordEntry(record: TaskRecord, file: string, type: string, taskId: number, entry: Record<string, unknown>): Promise<void> {
  await record.update(file, (doc) => {
    const name = (n: number) => `${type}_${String(n).padStart(2, '0')}`;
    let key = Object.keys(doc).find(
      (k) =>
        k.startsWith(`${type}_`) && /^\d\d$/.test(k.slice(type.length + 1)) && (doc[k] as { TaskId?: unknown } | null)?.TaskId === taskId,
    );
    if (!key) {
      let n = 0;
      while (name(n) in doc) n++;
      key = name(n);
    }
    doc[key] = { ...entry, TaskId: taskId };
  });
}

function makeKind(name: 'readout_and_reboot' | 'readout_and_readout', reboot: boolean): TaskKind<P> {
  return {
    name,
    summary: reboot ? 'reboot each module in turn and read its sensors' : "read each module's sensors",
    params,
    // the original's signatures: readout_and_reboot(json_file, comment, set_time), readout_and_readout(json_file, set_time, comment)
    positional: reboot ? ['comment', 'set_time'] : ['set_time', 'comment'],
    housekeeping: true,
    estimateS: (p, n) => Math.max(p.set_time, Math.ceil(n / 4) * (reboot ? 12 : 5)),
    async run(ctx, p) {
      const type = reboot ? 'ReadoutReboot' : 'ReadoutOnly';
      const dir = newDataDir(ctx.ws.home.dataDir, type, ctx.ws.clock.now());
      const start = ctx.ws.clock.now();
      let passes = 0;
      const firmware = new Map<number, number>();
      do {
        let done = 0;
        // one module per wire pair at a time, the wire pairs in parallel
        await runLanes(wirePairLanes(ctx.modules), 4, async (m) => {
          ctx.signal.throwIfAborted();
          firmware.set(m.port, await readoutOnce(ctx, m, reboot, path.join(dir, `${m.serial}.csv`)));
          const elapsed = ctx.ws.clock.now() - start;
          ctx.progress(
            p.set_time > 0 ? Math.min(1, elapsed / (p.set_time * 1000)) : ++done / ctx.modules.length,
            `pass ${passes + 1}, ${m.serial}`,
          );
        });
        passes++;
      } while (ctx.ws.clock.now() - start < p.set_time * 1000);
      for (const m of ctx.modules) {
        await recordEntry(ctx.record, m.jsonFile, type, ctx.task.id, {
          Filename: path.join(dir, `${m.serial}.csv`),
          Comment: p.comment,
          Time: p.set_time,
          FirmwareVersion: firmware.get(m.port) ?? -1,
        });
      }
      return { folder: dir, passes };
    },
  };
}

export const kind = makeKind('readout_and_reboot', true);
export const readoutOnlyKind = makeKind('readout_and_readout', false);

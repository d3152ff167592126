import { afterAll, describe, expect, it } from 'vitest';
import { runTask } from '../../src/engine/task-runner.js';
import { updateDoc } from '../../src/records/json-docs.js';
import { recordResults } from '../../src/records/results.js';
import { kind as stfAna } from '../../src/tasks/stf-ana.js';
import type { TaskKind } from '../../src/tasks/types.js';
import { oneTaskScope } from '../helpers/one-task.js';

/**
 * stf_ana with the original's options: `stfnumber` picks the STF the D-Egg files record as STF_NN
 * (the latest by default), `omit` leaves named modules out of the summary; a wrong value is named.
 */
const kind = stfAna as unknown as TaskKind;

describe('stf_ana: which STF, and which modules', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });
  const serials = ['DEgg2026-1-001', 'DEgg2026-1-002', 'DEgg2026-1-003'];
  const item = (status: 'pass' | 'fail') => ({
    item: 'hv_ch1',
    status,
    reading: status === 'pass' ? '1500 V' : '0 V',
    value: null,
    limit: '>1000 V',
  });

  /** Two STFs of the run: in the first (STF_00) every module passes; in the second (STF_01) module 2 fails hv_ch1. */
  async function twoStfs(params: Record<string, unknown>) {
    const one = await oneTaskScope(kind, serials, params);
    closers.push(one.close);
    const { ws, runId, scope } = one;
    for (const [n, folder] of ['/data/stf/first', '/data/stf/second'].entries()) {
      await recordResults(
        ws,
        { runId, taskId: null, kind: 'measure_stf', folder },
        scope.modules.map((m, i) => {
          const failed = n === 1 && i === 1;
          return {
            port: m.port,
            serial: m.serial,
            name: 'stf.failed_items',
            value: failed ? 1 : 0,
            detail: { items: [item(failed ? 'fail' : 'pass')] },
          };
        }),
      );
      for (const m of scope.modules) await updateDoc(ws, m.jsonFile, (d) => void (d[`STF_0${n}`] = { Folder: folder, Comment: 'x' }));
    }
    const summary = () => one.events.filter((e) => e.kind === 'stf.summary').map((e) => e.message);
    return { ...one, summary };
  }

  it('by default summarises the latest STF', async () => {
    const s = await twoStfs({});
    const r = await runTask(s.scope, s.task, kind);
    expect(r).toMatchObject({ folder: '/data/stf/second', modules: 3, passed: 2, failed: 1 });
    expect(s.summary()).toEqual(['STF of run 42: 2/3 modules passed; failing: DEgg2026-1-002 (port 5001): hv_ch1 (0 V)']);
  });

  it('stfnumber = 0 summarises STF_00, whatever came after it', async () => {
    const s = await twoStfs({ stfnumber: '0' });
    const r = await runTask(s.scope, s.task, kind);
    expect(r).toMatchObject({ folder: '/data/stf/first', modules: 3, passed: 3, failed: 0 });
    expect(s.summary()).toEqual(['STF_00 of run 42: 3/3 modules passed']);
  });

  it('omit leaves the named modules out (a list as the original wrote it)', async () => {
    const s = await twoStfs({ omit: "['DEgg2026-1-002']" });
    const r = await runTask(s.scope, s.task, kind);
    expect(r).toMatchObject({ modules: 2, passed: 2, failed: 0, omitted: ['DEgg2026-1-002'] });
    expect(s.summary()).toEqual(['STF of run 42: 2/2 modules passed (left out: DEgg2026-1-002)']);
  });

  it('an STF the files do not record, or a module not in the run, fails the task naming what there is', async () => {
    const s = await twoStfs({ stfnumber: '5' });
    await expect(runTask(s.scope, s.task, kind)).rejects.toThrow(
      'stf_ana: no module of run 42 has results for STF_05 (stfnumber = 5, counted from 0): the D-Egg files record STF_00, STF_01',
    );
    const t = await twoStfs({ omit: 'DEgg2026-9-999, DEgg2026-1-003' });
    await expect(runTask(t.scope, t.task, kind)).rejects.toThrow(
      'stf_ana: omit names DEgg2026-9-999, not a module of run 42 (its modules: DEgg2026-1-001, DEgg2026-1-002, DEgg2026-1-003)',
    );
  });

  it('a stfnumber that is not a number is refused when the schedule is read', () => {
    const r = kind.params.safeParse({ stfnumber: 'last' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toBe(
      `expected None (the latest STF) or the NN of the D-Egg files' STF_NN entries (0-99), got "last"`,
    );
    expect(kind.params.parse({})).toEqual({ stfnumber: undefined, omit: [] });
    // the schedule stores the parsed values, and the task parses them again when it runs
    const parsed = kind.params.parse({ stfnumber: '1', omit: "['DEgg2026-1-002']" });
    expect(kind.params.parse(JSON.parse(JSON.stringify(parsed)))).toEqual({ stfnumber: 1, omit: ['DEgg2026-1-002'] });
  });
});

import { CliError } from './common.js';
import { measureCommand, type MeasureCommand, throwOnFailures } from './measure-run.js';

/** `fat measure baseline | flasher | stf`: the module checks of the FAT, each on its own. */
export function registerModuleTests(measure: MeasureCommand): void {
  measureCommand(measure, {
    name: 'baseline',
    description:
      'baseline of every PMT: 50 software-triggered waveforms of 1024 samples, HV as it is (the original measure_pmt_baseline.py)',
    kind: () => import('../tasks/measure-baseline.js').then((m) => m.kind),
    options: ['comment', 'dac_value'],
    lines: (r, run) => [
      `Baseline at DAC ${r.dac} (${r.waveforms} waveforms of ${r.samples} samples), run ${run}, data in ${r.folder}:`,
      ...r.pmts.map(
        (x) =>
          `  port ${x.port} ${x.serial} ${x.pmt} ${x.pmtSerial}: ${x.baselineAdc.toFixed(2)} ± ${x.baselineStdAdc.toFixed(2)} ADC (HV ${x.hvVolts.toFixed(0)} V)`,
      ),
    ],
  });

  measureCommand(measure, {
    name: 'flasher',
    description: 'flasher LEDs: 12 LEDs x 10 bias settings seen by the lower PMT, laser off (the original measure_baseline_flasher)',
    kind: () => import('../tasks/measure-flasher.js').then((m) => m.kind),
    options: ['comment', 'n_events'],
    quiet: /LED settings$/,
    lines: (r, run) => [
      `Flasher LEDs (${r.events} flashes per setting), run ${run}, data in ${r.folder}:`,
      ...r.modules.flatMap((x) => [
        `  ${x.ledsWorking === 12 ? '[OK]  ' : '[FAIL]'} port ${x.port} ${x.serial} LowerPmt ${x.pmtSerial}: ${x.ledsWorking}/12 LEDs work (dark ${x.darkLevelPe.toFixed(2)} PE; ${x.gainNote})`,
        ...x.leds.filter((l) => !l.works).map((l) => `      LED ${l.led} (mask 0x${l.mask.toString(16).padStart(4, '0')}): ${l.reason}`),
      ]),
    ],
    check: (r) => {
      throwOnFailures(r.failures);
      const bad = r.modules.filter((x) => x.ledsWorking < 12);
      if (bad.length) throw new CliError(`${bad.length} module(s) have LEDs that do not work: ${bad.map((x) => x.serial).join(', ')}`);
    },
  });

  measureCommand(measure, {
    name: 'stf',
    description:
      "icefat's quick self-test of every module: communication, sensors, supplies, HV, baseline, triggers (in place of the STF DEgg-FAT set)",
    kind: () => import('../tasks/measure-stf.js').then((m) => m.kind),
    options: ['comment'],
    lines: (r, run) => [
      `STF, run ${run}: ${r.passed}/${r.passed + r.failed} modules passed, results in ${r.folder}:`,
      ...r.modules.flatMap((x) => [
        `  ${x.passed ? '[PASS]' : '[FAIL]'} port ${x.port} ${x.serial}${x.passed ? `: ${x.items.filter((i) => i.status === 'pass').length} items passed` : ''}`,
        ...x.items.filter((i) => i.status === 'fail').map((i) => `      ${i.item}: ${i.reading} (limit ${i.limit})`),
      ]),
    ],
    check: (r) => {
      if (r.failed) throw new CliError(`${r.failed} module(s) failed the STF`);
    },
  });
}

/**
 * Base ports of the simulated labs that tests start, so that test files running in parallel never
 * collide. A whole lab takes base..base+99, base+1000..base+1016 and base+1234; peripherals alone
 * take base+25..base+40 and base+1234. Everything stays below 32768, where Linux hands out
 * ephemeral ports for outgoing connections.
 *
 * In use elsewhere (literal in their files):
 *   test/sim/iceboot.test.ts      21000
 *   test/sim/domnet.test.ts       21400, 21600, 21650
 *   test/sim/lab.test.ts          19000, 19500
 *   test/sim/peripherals.test.ts  23000, 23100, 23150
 *   test/lab/instruments.test.ts  23200, 23250, 23300, 23390
 *   test/lab/serial-pty.test.ts   23400
 *   test/lab/iceboot*.test.ts     26000, 26200, 26400
 *   bench/decode.ts               28600
 *   test/report/report.test.ts    4000
 */
export const TEST_PORTS = {
  checklist: 8000,
  deadModule: 10000,
  domnetFail: 12000,
  noSync: 14000,
  lateSync: 16000,
  brokenFibre: 30000,
  simStart: 2000,
  visibilityGit: 6500,
  supervisor: 24000,
  // test/e2e/master*.test.ts: one lab each (master-crash two), checked against every range above
  // and each other's +1000..+1016 and +1234 offsets
  masterComplete: 17300,
  masterPrompts: 17500,
  masterSigint: 17700,
  masterRefusals: 18200,
  masterDeadModule: 25500,
  masterCrash: 28000,
  masterCrashReference: 28200,
  masterSlack: 28300,
  // test/e2e/master-slack-faults.test.ts: 31500..31599, 32500..32516, 32734
  masterSlackFaults: 31500,
  // test/e2e/master-module-fault.test.ts: 8600..8699, 9600..9616, 9834
  masterModuleFault: 8600,
  // test/e2e/master-crash-measurement.test.ts: 4400..4499, 5400..5416, 5634
  masterCrashMeasurement: 4400,
  // test/e2e/measure-scaler.test.ts: 25600..25699, 26600..26616, 26834
  measureScaler: 25600,
  masterConditions: 2200,
  // test/station/lab-plugs.test.ts: peripherals only (6925..6940, 8134)
  labPlugs: 6900,
  // test/station/lab-plugs.test.ts, D-Egg sessions: a whole lab (8200..8299, 9200..9216, 9434)
  labPlugsModules: 8200,
  dryRun: 4100,
  // test/e2e/measure-gain.test.ts: 4300..4399, 5300..5316, 5534
  measureGain: 4300,
  // test/e2e/example-schedule.test.ts: 3800..3899, 4800..4816, 5034
  exampleSchedule: 3800,
  // test/e2e/measure-linearity-fault.test.ts: 3900..3999, 4900..4916, 5134
  linearityFault: 3900,
  // test/e2e/monitoring.test.ts, bootmon.test.ts (+1000..+1016, +1234 each); 1800 and 1900 are not
  // used: a lab at 1800 would take 1883, where an MQTT broker may listen, and `fat setup` failed at 1900
  monitoring: 1700,
  bootmon: 3500,
  // test/e2e/measure-baseline-flasher.test.ts, measure-stf.test.ts, module-tests-master.test.ts:
  // 1400..1699, 2400..2416, 2500..2516, 2600..2616, 2634, 2734, 2834
  moduleTestsBaselineFlasher: 1400,
  moduleTestsStf: 1500,
  moduleTestsMaster: 1600,
  // test/e2e/analysis-kinds.test.ts: 3600..3699, 4600..4616, 4834 (3700 reserved too)
  analysisKinds: 3600,
  // test/e2e/measure-linearity.test.ts: 1100..1199, 2100..2116, 2334
  measureLinearity: 1100,
  // test/e2e/measure-pulsed.test.ts: 1300..1399, 2300..2316, 2534
  measurePulsed: 1300,
  // test/e2e/operator-actions.test.ts: 13300..13399, 14300..14316, 14534 (13500 reserved for it too)
  operatorActions: 13300,
  // test/web/dashboard-live.test.ts, dashboard-module.test.ts: 9300..9399, 10300..10316, 10534 and
  // 9500..9599, 10500..10516, 10734
  dashboardLive: 9300,
  dashboardModule: 9500,
  // test/e2e/two-stations.test.ts: two labs on one PostgreSQL, 7100..7199, 8100..8116, 8334 and
  // 7300..7399, 8300..8316, 8534
  twoStationsA: 7100,
  twoStationsB: 7300,
  // test/e2e/postgres-store.test.ts: the master and results on PostgreSQL, 15300..15399, 16300..16316, 16534
  postgresStore: 15300,
  // test/e2e/master-logbook.test.ts: 11300..11399, 12300..12316, 12534
  masterLogbook: 11300,
  // test/e2e/imported-history.test.ts: 6000..6099, 7000..7016, 7234
  importedHistory: 6000,
  // test/e2e/run-timing.test.ts: a lab at 27500 (27500..27599, 28500..28516, 28734); test/lab/timing-words.test.ts:
  // one wire pair inside that block, where the lab binds nothing (27550..27553 and its ICM at 28550)
  runTiming: 27500,
  timingWords: 27550,
  // test/e2e/measure-cameras.test.ts, cameras-master.test.ts, test/lab/iceboot-cameras.test.ts:
  // 29700..29799, 30700..30716, 30934; 29900..29999, 30900..30916, 31134; 30100..30199,
  // 31100..31116, 31334 (29500 would take 29534, masterSlack's +1234)
  measureCameras: 29700,
  camerasMaster: 29900,
  cameraWords: 30100,
  // test/e2e/original-schedule.test.ts: 22500..22599, 23500..23516, 23734
  originalSchedule: 22500,
  // test/e2e/master-disk-full.test.ts: 4200..4299, 5200..5216, 5434
  masterDiskFull: 4200,
  // test/e2e/master-slack-socket.test.ts: 6600..6699, 7600..7616, 7834
  masterSlackSocket: 6600,
  // test/e2e/eta-learned.test.ts: 6200..6299, 7200..7216, 7434; bench/eta.ts ($BENCH_BASE_PORT
  // default): 6400..6499, 7400..7416, 7634
  etaLearned: 6200,
  etaBench: 6400,
  // test/e2e/preflight.test.ts, preflight-tmux.test.ts: 5800..5899, 6800..6816, 7034 and
  // 9100..9199, 10100..10116, 10334 (checked against every range above and their offsets)
  preflight: 5800,
  preflightTmux: 9100,
  // test/e2e/virtual-time-master.test.ts: a lab process at 18600 (18600..18699, 19600..19616,
  // 19834; its clock at 18698), checked against every range above and their offsets
  virtualTimeMaster: 18600,
  // test/lab/iceboot-wall-waits.test.ts: a lab, then a dry run's lab, at 8700 (8700..8799, 9700..9716, 9934)
  wallWaits: 8700,
} as const;

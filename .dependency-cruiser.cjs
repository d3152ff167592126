/**
 * The floors of src/ (DESIGN.md §3): a room imports only rooms on its own floor or below.
 * `npm run check:layers` (in .ci/run) fails on an arrow pointing up.
 *
 *   top      cli web engine notify report
 *   views    read models for the dashboard, the API and the CLI
 *   fat      the FAT procedure: schedules, checks, run new, setup and DomNet, import
 *   tasks    one file per task kind and the acquisition code they share
 *   logbook  entries, automatic entries, attachments
 *   records  results, verdicts, goalposts, the run and D-Egg documents and their exports
 *   station  the workspace (store + station + clock), module links, wire-pair lanes, data folders
 *   ground   store lab sim analysis clock util
 */
const FLOORS = [
  ['store', 'lab', 'sim', 'analysis', 'clock', 'util'],
  ['station'],
  ['records'],
  ['logbook'],
  ['tasks'],
  ['fat'],
  ['views'],
  ['cli', 'web', 'engine', 'notify', 'report'],
];
const group = (rooms) => `^src/(${rooms.join('|')})/`;

module.exports = {
  forbidden: [
    ...FLOORS.slice(0, -1).map((rooms, i) => ({
      name: `up-from-${rooms.join('-')}`,
      comment: `${rooms.join(', ')} (floor ${i}) may import only its own floor or below`,
      severity: 'error',
      from: { path: group(rooms) },
      to: { path: group(FLOORS.slice(i + 1).flat()) },
    })),
    {
      name: 'sim-uses-no-driver',
      comment: 'the simulated lab never imports a driver, or the tests would prove nothing',
      severity: 'error',
      from: { path: '^src/sim/' },
      to: { path: '^src/lab/' },
    },
    {
      name: 'analysis-is-pure',
      comment: 'analysis imports nothing of ours but itself',
      severity: 'error',
      from: { path: '^src/analysis/' },
      to: { path: '^src/', pathNot: '^src/analysis/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/web/ui/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

/**
 * The steps of `fat preflight`, in the order of the seed's Quick Check list
 * (reference/seed-running-the-fat.txt), each with the seed's own words for what to check when it
 * fails. The dashboard's Start New Run page lists the same steps.
 */
export const PREFLIGHT_STEPS = [
  {
    key: 'domnet',
    title: 'DomNet: were all 4 DomNet instances successful? (setup_deggs.py)',
    command: 'fat setup',
    advice: 'Please check that all the DomNet instances were successful. If not run the script again.',
  },
  {
    key: 'run',
    title: 'New run number and a comment (create_configs.py)',
    command: 'fat run new',
    advice: 'Provide a comment when asked. This information will be used to fill out the FAT Logbook.',
  },
  {
    key: 'peripherals',
    title: 'Make sure all of the peripherals are working (simple_check.py), the laser power supply, the dew point',
    command: 'fat check peripherals',
    advice:
      'This checks the thermometer connection, humidity sensors, filter wheel, and function generator. The only other component which requires manual intervention is the laser power supply: please ensure this power supply is on.',
  },
  {
    key: 'laser-freq',
    title: 'Laser sync seen by the tabletop mainboard (check_laser_freq.py)',
    command: 'fat check laser-freq',
    advice:
      'This verifies that the laser is producing a sync signal detectable by the tabletop mainboard and that the frequency being recorded is valid. It may need to retry once; this is normal. If the script fails after the retry, contact an expert.',
  },
  {
    key: 'visibility',
    title: 'Laser visibility of every PMT (check_laser_visibility.py)',
    command: 'fat check visibility',
    advice:
      'Most commonly, this could indicate that a fibre channel is not effectively transmitting light to a PMT. Depending on if uncommitted changes are in the directory, you may also need to run with --force.',
  },
  {
    key: 'gain-scan',
    title: 'Gain scan at room temperature',
    command: 'fat measure gain',
    advice: 'Run a gain scan at room temperature and the analysis script before the master starts.',
  },
  {
    key: 'gain-analysis',
    title: 'Analysis of the gain scan (HV at gain 1e7 for every PMT)',
    command: 'fat measure gain (analysis_wrapper)',
    advice: 'Run a gain scan at room temperature and the analysis script; a PMT without a valid HV at gain 1e7 needs an expert.',
  },
  {
    key: 'schedule',
    title: 'The schedule, using the latest run json file (create_fat_config.py)',
    command: 'fat schedule create',
    advice: 'Update the config file to use the latest run json file.',
  },
  {
    key: 'logbook',
    title: 'FAT Logbook: the "Start New Run" entry',
    command: 'fat log / #/new-run',
    advice:
      "Open the FAT Logbook, login, and make a new FAT Run post. The most important form is 'Start New Run'; if you cannot access the Logbook, simply make a new user for yourself.",
  },
  {
    key: 'master',
    title: 'The master script, as a service',
    command: 'fat master',
    advice:
      'The master script also contains a "dummy test" to ensure all D-Eggs are alive and listening; if D-Eggs listed in the run file are not responding, return to the troubleshooting of the connectivity (fat setup). Its log says why it stopped.',
  },
] as const;

export type PreflightStepKey = (typeof PREFLIGHT_STEPS)[number]['key'];
export type PreflightStep = (typeof PREFLIGHT_STEPS)[number];

export function stepOf(key: string): PreflightStep | undefined {
  return PREFLIGHT_STEPS.find((s) => s.key === key);
}

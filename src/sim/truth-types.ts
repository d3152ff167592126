/**
 * The simulated lab's ground truth: what every D-Egg "really" is, so that a measurement made
 * through the real drivers can be checked against it (`fat sim truth --json`).
 */

export type PmtName = 'LowerPmt' | 'UpperPmt';

export interface PmtTruth {
  /** 0 = LowerPmt, 1 = UpperPmt (the mainboard channel) */
  channel: 0 | 1;
  name: PmtName;
  serial: string;
  hvb: string;
  /** gain = gainA · V^gainK */
  gainA: number;
  gainK: number;
  /** HV that gives gain 1e7 */
  hv1e7Volts: number;
  /** sigma/mean of the single-photoelectron charge */
  speResolution: number;
  /** space-charge saturation: a pulse of n photoelectrons comes out as n / (1 + n / saturationPe) */
  saturationPe: number;
  /** baseline in ADC counts at DAC 30000; other DACs shift it by BASELINE_ADC_PER_DAC per DAC step */
  baselineAtDac30000Adc: number;
  baselineNoiseAdc: number;
  /** dark rate above 0.25 PE: r40Hz · exp(slopePerC · (T + 40)) */
  darkRate: { r40Hz: number; slopePerC: number };
  /** fraction of the laser light reaching this PMT through its fibre */
  fibreTransmission: number;
  /** delay of the laser light through this PMT's fibre, from the splitter to the glass */
  fibreDelayNs: number;
  /**
   * photocathode to pulse peak, and its jitter (the transit-time spread, TTS). The simulator draws
   * one time per light pulse, whatever its photoelectrons.
   */
  transitTimeNs: number;
  ttsSigmaNs: number;
}

/**
 * The in-ice ICM of a module: its 60 MHz oscillator, which also clocks the mainboard (240 MHz =
 * 4 x 60 MHz), and the wire-pair cable to the field hub. RapCal measures both.
 */
export interface IcmClockTruth {
  /** the ICM's counter at the field hubs' epoch (LabState.hubEpochMs), in seconds of 60 MHz counts */
  offsetS: number;
  /** how fast the oscillator runs against the field hubs' GPS-disciplined clock (ppm) */
  driftPpm: number;
  /** one-way delay of the wire pair between the field hub and this ICM */
  cableDelayNs: number;
}

/** The laser's electrical sync into the tabletop board's channel 0. */
export interface LaserSyncTruth {
  /** laser shot to the sync pulse's peak on channel 0 */
  delayNs: number;
  jitterNs: number;
}

export interface FlasherTruth {
  /** LED light starts above this bias (DAC units of setFlasherBias) */
  biasThreshold: number;
  /** photoelectrons at the lower PMT per 1024 bias steps above threshold, per LED (12 LEDs) */
  pePerKiloBias: number[];
}

/** One of the three cameras of a D-Egg (the model: sim/camera-model.ts). */
export interface CameraTruth {
  number: 1 | 2 | 3;
  /** what `getCameraID` prints */
  id: string;
  /** 12-bit pixel value of a dark frame at zero exposure */
  blackLevelAdu: number;
  /** dark signal per second of exposure at gain 0 */
  darkCurrentAduPerS: number;
  /** temporal noise of a pixel at zero exposure and gain 0 */
  readNoiseAdu: number;
  /** a few pixels with extra dark current, inside the area the analysis keeps (rows >= 16, columns >= 3) */
  hotPixels: Array<{ row: number; col: number; aduPerS: number }>;
  /** light of the camera's LED on a bright square of the pattern target, per ms of exposure at gain 0 */
  patternAduPerMs: number;
}

export interface ModuleTruth {
  role: 'degg' | 'tabletop';
  port: number;
  /** wire pair 0..3 and address 0..3; -1 for the tabletop board, which is not in the freezer */
  wirePair: number;
  address: number;
  deggSerial: string;
  /** 16 lowercase hex characters, as `icmID` prints it */
  icmId: string;
  /** what `mainboardID` prints ("4.1-019"); also the logbook's MainboardNumber */
  mainboardId: string;
  mainboardNumber: string;
  /** 24 hex characters, as `stmid` prints it */
  stmUuid: string;
  /** 32 characters, as `flashID` prints it */
  flashId: string;
  fpgaVersion: number;
  softwareVersion: number;
  softwareId: string;
  fpgaChipId: string;
  icm: string;
  flasherId: string;
  cameraNumber: string;
  upperGlass: string;
  lowerGlass: string;
  upperGlassSerial: string;
  lowerGlassSerial: string;
  penetrator: string;
  sealingDate: string;
  arrivalDate: string;
  /** internal pressure at 20 °C; it follows the gas law with temperature */
  pressureHpa: number;
  /** LVS_SLO_IMON 1V1, 1V35, 1V8, 2V5, 3V3 */
  supplyCurrentsMa: [number, number, number, number, number];
  /** +1V8_A, +1V1, +1V35, +2V5, +3V3 rail monitors */
  supplyVoltagesV: [number, number, number, number, number];
  /** mainboard temperature above the air around it, once warmed up */
  selfHeatingC: number;
  flasher: FlasherTruth;
  icmClock: IcmClockTruth;
  /** the tabletop board only */
  laserSync?: LaserSyncTruth;
  /** cameras 1-3 (enable-mask bits 0x01, 0x04, 0x10) */
  cameras: [CameraTruth, CameraTruth, CameraTruth];
  /** [LowerPmt, UpperPmt]; on the tabletop board channel 0 carries the laser sync instead of a PMT */
  pmts: [PmtTruth, PmtTruth];
}

export interface LabTruth {
  seed: number;
  modules: ModuleTruth[];
  tabletop: ModuleTruth;
}

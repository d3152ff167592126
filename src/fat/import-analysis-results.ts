import { darkRateGoalpost } from '../tasks/scaler-windows.js';
import { isObject, readNumber, type Json, type ReadProblem } from './import-json.js';
import { GAIN_QUANTITY } from '../tasks/gain-acquire.js';

/**
 * The original's analysis results: the files its analyses wrote for the test-results database
 * (degg_measurements/analysis/test_results.py, Result.to_json and CameraResult.to_json), kept under
 * `database_jsons/run_<16 digits>/` (cameras: `run_<N>/`) as
 *   { device_uid: "DEgg2021-3-133_v1", subdevice_uid: "degg-pmt_R5912-100-70_SQ0300" | <mainboard
 *     serial> | <camera ID>, meas_group, meas_name, meas_class, meas_time (Unix s), run_number,
 *     meas_data: [{ data_format: "value", value, temperature, ... }] }
 * The D-Egg files hold no dark rate, linearity, double-pulse, timing, flasher or camera value: these
 * files do. Each meas_name below becomes one quantity; the others (graphs, histograms, the "-limit"
 * copies of a value judged against the red goalpost, raw-data pointers) are kept verbatim only.
 */
export interface AnalysisResult {
  runNumber: number;
  /** the D-Egg serial, without the database's `_v1` */
  serial: string;
  /** a PMT by its serial (SQ0300), the mainboard, or a camera by its ID */
  subdevice: { kind: 'pmt'; serial: string } | { kind: 'mainboard'; id: string } | { kind: 'camera'; id: string };
  measName: string;
  /** ISO time of the analysis */
  measuredAt: string | null;
  quantity: { name: string; value: number; units: string; detail: Json; judge?: boolean };
}

type Mapping = (data: Json, where: string, problems: Omit<ReadProblem, 'file'>[]) => AnalysisResult['quantity'] | undefined;

/** readNumber, and a problem too when the key is absent */
function required(container: Json, key: string, where: string, problems: Omit<ReadProblem, 'file'>[], what: string): number | undefined {
  if (!(key in container)) problems.push({ key: `${where}${key}`, message: `is missing: ${what} not imported` });
  return readNumber(container, key, where, problems, what);
}

const value =
  (name: string, units: string, judge = true): Mapping =>
  (data, where, problems) => {
    const v = readNumber(data, 'value', where, problems, name);
    return v === undefined ? undefined : { name, value: v, units, detail: detailOf(data), ...(judge ? {} : { judge: false }) };
  };

/** What the reader needs besides the value: the temperature, errors, the settings it was taken at. */
function detailOf(data: Json): Json {
  const keep = ['error', 'error1sig', 'label', 'efficiency', 'pe_threshold', 'daq_type', 'ndFilter', 'laserFrequency'];
  const out: Json = {};
  for (const k of keep) if (data[k] !== undefined) out[k] = data[k];
  const t = data.temperature;
  if (typeof t === 'number' && Number.isFinite(t)) out.temperatureC = t;
  return out;
}

const MAPPINGS: Record<string, Mapping> = {
  // the original's goalposts change with the temperature it was measured at; the FAT measured with the FIR trigger
  'pmt-darknoise': (data, where, problems) => {
    const t = required(data, 'temperature', where, problems, 'the dark rate (its temperature chooses the goalpost)');
    return t === undefined ? undefined : value(darkRateGoalpost('fir', t), 'Hz')(data, where, problems);
  },
  'pmt-hv-at-1e7-gain': value(GAIN_QUANTITY.hv1e7, 'V'),
  'pmt-observed-charge-over-ideal-charge-at-200pe': value('linearity.charge_ratio_200pe', ''),
  'pmt-observed-current-over-ideal-current-at-10mA': value('linearity.current_ratio_10ma', ''),
  'double-pulse-separation': value('double_pulse.separation', 'ns'),
  'double-pulse-peak-to-valley1': value('double_pulse.peak_to_valley1', ''),
  'double-pulse-peak-to-valley2': value('double_pulse.peak_to_valley2', ''),
  'pmt-timing-resolution': value('timing.tts', 'ns'),
  'pmt-timing-resolution-chi2': value('timing.tts_chi2', ''),
  // the fitted peak of (PMT time - tabletop time): [norm, peak, width]
  'pmt-timing-resolution-info': (data, where, problems) => {
    const p = data.fit_params;
    if (!Array.isArray(p) || p.length < 2) {
      problems.push({ key: `${where}fit_params`, message: `${JSON.stringify(p)} is not [norm, peak, width]: timing.offset not imported` });
      return undefined;
    }
    const v = readNumber({ peak: p[1] as unknown }, 'peak', `${where}fit_params.`, problems, 'timing.offset');
    return v === undefined ? undefined : { name: 'timing.offset', value: v, units: 'ns', detail: detailOf(data) };
  },
  'led-flasher-functionality': value('flasher.leds_working', 'LEDs'),
  'monitoring-high-dark-rates': value('monitor.high_dark_rates', 'readings'),
  'mb-coldboot': value('coldboot.failures', 'retries'),
  // per gain and exposure setting, with no goalpost in the original: recorded, not judged. Its
  // "Dark noise" is a pixel spread (a few ADU), not the camera dark rate that measure_camera judges
  'camera-darknoise': (data, where, problems) => {
    const q = value('camera.dark_noise', 'ADU', false)(data, where, problems);
    return q && { ...q, detail: { ...q.detail, hotpixels: data.hotpixel_amount } };
  },
};

const PMT_SUBDEVICE = /^degg-pmt_.*_(SQ\d+)$/;

/**
 * The quantity of one analysis result file; null when the file is not an analysis result or holds
 * no quantity icefat records (it is still kept verbatim).
 */
export function analysisResult(doc: Json, problems: Omit<ReadProblem, 'file'>[]): AnalysisResult | null {
  const measName = doc.meas_name;
  if (typeof measName !== 'string' || !(measName in MAPPINGS)) return null;
  const data = Array.isArray(doc.meas_data) ? (doc.meas_data[0] as unknown) : undefined;
  if (!isObject(data)) {
    problems.push({ key: 'meas_data', message: `holds no result object: ${measName} not imported` });
    return null;
  }
  const run = required(doc, 'run_number', '', problems, measName);
  const device = doc.device_uid;
  const sub = doc.subdevice_uid;
  if (run === undefined) return null;
  if (typeof device !== 'string' || typeof sub !== 'string') {
    problems.push({ key: 'device_uid', message: `${measName} names no D-Egg (device_uid and subdevice_uid): not imported` });
    return null;
  }
  const quantity = MAPPINGS[measName](data, 'meas_data[0].', problems);
  if (!quantity) return null;
  const pmt = PMT_SUBDEVICE.exec(sub);
  const t = typeof doc.meas_time === 'number' && Number.isFinite(doc.meas_time) ? new Date(doc.meas_time * 1000) : null;
  return {
    runNumber: run,
    serial: device.replace(/_v\d+$/, ''),
    subdevice: pmt
      ? { kind: 'pmt', serial: pmt[1] }
      : measName.startsWith('camera-')
        ? { kind: 'camera', id: sub }
        : { kind: 'mainboard', id: sub },
    measName,
    measuredAt: t && Number.isFinite(t.getTime()) ? t.toISOString() : null,
    quantity,
  };
}

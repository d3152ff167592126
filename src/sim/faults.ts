/**
 * Faults the simulated lab can be told to show, from `--fault KIND[:TARGET]` flags or from tests at
 * run time. A target is a device port (5006), a wire pair ("wp1"), a port/channel ("5006/1") or an
 * instrument name ("fg", "fw0", "fw1", "thermometer", "humidity0", "humidity1", "freezer"); for the
 * camera faults a port/camera ("5006/2").
 */
export const FAULT_KINDS = {
  'dead-module': 'the mainboard on TARGET port accepts connections but never answers',
  'hang-module': 'the mainboard on TARGET port stops answering after a few commands',
  'drop-module': 'the mainboard on TARGET port drops its connection after a few commands',
  'garbage-module': 'the mainboard on TARGET port sends garbage bytes before its replies',
  'slow-module': 'the mainboard on TARGET port answers slowly (about 1.5 s per reply)',
  'fpga-unconfigured': 'the mainboard on TARGET port boots with an unconfigured FPGA (version 65535)',
  'fpga-flash-fails':
    'the FPGA of the mainboard on TARGET port loses its configuration (version 65535) and every flashConfigureFPGA fails (TARGET port/N: only the first N)',
  'domnet-fail': 'the DomNet instance of wire pair TARGET (0-3, or its base port) fails to start',
  'laser-sync-late': 'the tabletop board sees no laser sync on the first try',
  'no-laser-sync': 'the tabletop board never sees the laser sync',
  'instrument-timeout': 'the peripheral TARGET (fg, fw0, fw1, thermometer, humidity0, humidity1, freezer) stops answering',
  'scpi-error': 'the function generator puts an error in its SCPI error queue',
  'broken-fibre': 'the fibre to TARGET port (or port/channel) carries no laser light',
  'no-reboot-module': 'the mainboard on TARGET port stays silent after its power is cycled (a reboot it does not come back from)',
  'hv-sag': 'the HV supply of TARGET port (or port/channel) delivers 200 V less than its set point',
  'dead-led': 'flasher LED TARGET (port/LED, LED 1-12 = mask bit 0x0001-0x0800; a port alone: all its LEDs) gives no light',
  'dead-hv': 'the HV supply of TARGET port (or port/channel) never delivers voltage: readback stays at 0 V',
  'noisy-pmt': 'the PMT of TARGET port (or port/channel) has three times its dark rate (a light leak, or a PMT going bad)',
  'wide-tts': 'the PMT of TARGET port (or port/channel) has a transit-time spread of 6 ns instead of its own',
  'dead-camera':
    'camera TARGET (port/camera, camera 1-3; a port alone: all three) never answers: initCamera and every later word for it FAIL',
  'garbled-camera-id': 'getCameraID of camera TARGET (port/camera; a port alone: all three) reads back garbled about one time in three',
  'dark-camera-led': 'the LED of camera TARGET (port/camera; a port alone: all three) gives no light: its pattern images stay dark',
  'corrupt-camera-image':
    'camera TARGET (port/camera; a port alone: all three) sends its gzipped images (sendGZCameraImage) with the deflate data overwritten: they do not unpack',
} as const;

export type FaultKind = keyof typeof FAULT_KINDS;

export interface Fault {
  kind: FaultKind;
  target?: string;
}

export function parseFault(spec: string): Fault {
  const i = spec.indexOf(':');
  const kind = (i < 0 ? spec : spec.slice(0, i)).trim();
  const target = i < 0 ? undefined : spec.slice(i + 1).trim() || undefined;
  if (!(kind in FAULT_KINDS)) {
    throw new Error(`unknown fault "${kind}" in --fault ${spec}; known faults: ${Object.keys(FAULT_KINDS).join(', ')}`);
  }
  return { kind: kind as FaultKind, target };
}

export class FaultSet {
  private readonly faults: Fault[] = [];

  constructor(initial: Fault[] = []) {
    for (const f of initial) this.add(f);
  }

  add(f: Fault): void {
    if (!this.faults.some((x) => x.kind === f.kind && x.target === f.target)) this.faults.push(f);
  }

  remove(kind: FaultKind, target?: string): void {
    for (let i = this.faults.length - 1; i >= 0; i--) {
      const f = this.faults[i];
      if (f.kind === kind && (target === undefined || f.target === target)) this.faults.splice(i, 1);
    }
  }

  /** True when a fault of `kind` applies to any of `targets` (or has no target at all). */
  has(kind: FaultKind, ...targets: Array<string | number>): boolean {
    return this.faults.some((f) => f.kind === kind && (f.target === undefined || targets.some((t) => String(t) === f.target)));
  }

  list(): Fault[] {
    return [...this.faults];
  }
}

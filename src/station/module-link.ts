import { realClock, type Clock } from '../clock/clock.js';
import { IcebootSession } from '../lab/iceboot/session.js';
import { IcmClient } from '../lab/icm-client.js';

/** What a D-Egg says of itself when asked (iceboot), as its document records it. */
export interface ModuleIdentity {
  port: number;
  icmId: string;
  fpgaVersion: number;
  softwareVersion: number;
  flashId: string;
  mainboardId: string;
}

/**
 * The few things the checklist asks of a module or an ICM, each in its own short session, so a
 * module that fails cannot hold up the others. `clock` is the one the sessions' idle waits go
 * through (the workspace's; on a dry run's virtual clock they take no wall time).
 */
export const UNCONFIGURED_FPGA = 65535;
/** flashes of an unconfigured or wrong FPGA before giving up, as the original's reflash_fpga */
export const FLASH_ATTEMPTS = 3;

export interface ModuleCheck {
  port: number;
  ok: boolean;
  message: string;
  fpgaVersion?: number;
  softwareVersion?: number;
  flashed?: boolean;
  /** why each failed flash failed, in order (FLASH_ATTEMPTS of them: it gave up) */
  flashErrors?: string[];
}

export async function withSession<T>(
  host: string,
  port: number,
  fn: (s: IcebootSession) => Promise<T>,
  clock: Clock = realClock,
): Promise<T> {
  const s = await IcebootSession.open(host, port, { clock });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/**
 * The interlocks the FAT needs on every device of a wire pair (HV, and LID for the flasher).
 * Returns, per device address, why it could not be enabled; a device that fails here is reported
 * by the module check that follows, so one bad module does not stop the others.
 */
export async function enableInterlocks(host: string, icmPort: number, devices: number): Promise<Map<number, string>> {
  const icm = new IcmClient(host, icmPort, { timeoutMs: 3000 });
  const failed = new Map<number, string>();
  try {
    for (let d = 0; d < devices; d++) {
      try {
        await icm.pmtHvEnable(d);
        await icm.lidEnable(d);
      } catch (e) {
        failed.set(d, (e as Error).message);
      }
    }
  } finally {
    icm.close();
  }
  return failed;
}

/**
 * Does the module answer, with a configured FPGA of the expected version? If not, it is flashed
 * (up to FLASH_ATTEMPTS times, until the FPGA reads back the expected version). On an open
 * session of the module at `port`.
 */
async function checkOnSession(s: IcebootSession, port: number, expectedFpga: number): Promise<ModuleCheck> {
  let fpga = s.info.fpgaVersion;
  const flashErrors: string[] = [];
  while (fpga !== expectedFpga && flashErrors.length < FLASH_ATTEMPTS) {
    try {
      await s.flashConfigureFPGA();
      fpga = await s.fpgaVersion();
      if (fpga !== expectedFpga) flashErrors.push(`FPGA version ${fpga} after flashing`);
    } catch (e) {
      flashErrors.push((e as Error).message);
    }
  }
  const flashed = fpga === expectedFpga && fpga !== s.info.fpgaVersion;
  const base = { port, fpgaVersion: fpga, softwareVersion: s.info.softwareVersion, flashed, flashErrors };
  if (fpga !== expectedFpga) {
    const what = fpga === UNCONFIGURED_FPGA ? 'its FPGA stays unconfigured (65535)' : `FPGA version ${fpga}`;
    return {
      ...base,
      ok: false,
      message: `${what} after ${FLASH_ATTEMPTS} flashes (last: ${flashErrors.at(-1)}), expected ${expectedFpga}: contact an expert`,
    };
  }
  const how = flashed ? ` (flashed${flashErrors.length ? ` after ${flashErrors.length} failed attempt(s)` : ''})` : '';
  return { ...base, ok: true, message: `answers, FPGA ${fpga}${how}, iceboot ${s.info.softwareVersion}` };
}

/** `checkOnSession` on a session of its own; a module that cannot be reached is a failed check. */
export async function verifyModule(host: string, port: number, expectedFpga: number, clock: Clock = realClock): Promise<ModuleCheck> {
  try {
    return await withSession(host, port, (s) => checkOnSession(s, port, expectedFpga), clock);
  } catch (e) {
    return { port, ok: false, message: (e as Error).message };
  }
}

export interface ModuleStatus extends ModuleCheck {
  temperatureC?: number;
  hvVolts?: [number, number];
}

/** The status check of one module (the original's degg_check + get_info): answers, FPGA, temperature, HV. */
export async function moduleStatus(host: string, port: number, expectedFpga: number, clock: Clock = realClock): Promise<ModuleStatus> {
  // one session for both (an open is a dozen commands and three settling waits; before every measurement, for every module)
  let check: ModuleCheck = { port, ok: false, message: '' };
  try {
    return await withSession(
      host,
      port,
      async (s) => {
        check = await checkOnSession(s, port, expectedFpga);
        if (!check.ok) return check;
        const temperatureC = await s.temperatureC();
        const hvVolts: [number, number] = [(await s.hvReadback(0)).hvVolts, (await s.hvReadback(1)).hvVolts];
        return {
          ...check,
          temperatureC,
          hvVolts,
          message: `${check.message}, ${temperatureC.toFixed(1)} °C, HV ${hvVolts.map((v) => v.toFixed(0)).join('/')} V`,
        };
      },
      clock,
    );
  } catch (e) {
    return { ...check, ok: false, message: (e as Error).message };
  }
}

/**
 * Power-cycles one mainboard through its ICM (mb_off, mb_on) and re-enables its interlocks: the
 * one reboot a failing module gets. The check that follows (verifyModule) boots it out of the
 * bootloader and configures its FPGA, flashing it up to three times.
 */
export async function powerCycle(host: string, icmPort: number, address: number, sleep: (ms: number) => Promise<void>): Promise<void> {
  const icm = new IcmClient(host, icmPort, { timeoutMs: 5000 });
  try {
    await icm.mbOff(address);
    await sleep(1000);
    await icm.mbOn(address);
    await sleep(5000);
    await icm.pmtHvEnable(address);
    await icm.lidEnable(address);
  } finally {
    icm.close();
  }
}

export async function readIdentity(host: string, port: number, clock: Clock = realClock): Promise<ModuleIdentity> {
  return withSession(
    host,
    port,
    async (s) => ({
      port,
      icmId: await s.icmId(),
      fpgaVersion: s.info.fpgaVersion,
      softwareVersion: s.info.softwareVersion,
      flashId: await s.flashId(),
      mainboardId: await s.mainboardId(),
    }),
    clock,
  );
}

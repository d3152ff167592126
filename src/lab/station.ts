import fs from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';

/**
 * The station file (`station.toml` in the home folder) names every instrument of one FAT station
 * by address. A fresh home gets one that points at the simulated lab; a real lab changes only
 * the addresses (and the DomNet program and ttys).
 */
const portInRange = (text: string) => {
  const port = /^[a-z]+:\/\/[^/?]*:(\d+)/.exec(text)?.[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
};
const PORT_RANGE = { message: 'the port must be from 1 to 65535' };

const address = z
  .string()
  .max(1024)
  .regex(/^(tcp|serial|prologix):\/\//, 'an address like tcp://host:port, serial:///dev/ttyUSB0?baud=9600 or prologix://host:1234/10')
  .refine(portInRange, PORT_RANGE);

/** the largest station file read: a real one is a few KiB */
const MAX_STATION_BYTES = 1048576;

export const stationSchema = z
  .object({
    /** in every Slack message and on the dashboard: one short printable line */
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[^\p{Cc}]+$/u, 'printable characters only'),
    clock: z
      .object({
        time_scale: z.number().positive().default(1),
        /** when lab time and wall time were equal (ISO); lab time runs time_scale times faster since */
        origin: z.iso.datetime({ offset: true }).optional(),
        /**
         * Virtual time: the simulated lab started with `fat sim start --virtual-time` keeps lab
         * time and serves it here (tcp://host:port, its base port + 98); time_scale is then unused
         */
        lab_clock: z
          .string()
          .regex(/^tcp:\/\/[^:/]+:\d+\/?$/, "the simulated lab's clock port like tcp://127.0.0.1:5098")
          .optional(),
      })
      .strict()
      .default({ time_scale: 1 }),
    store: z
      .object({ url: z.string().min(1).default('sqlite:fat.db') })
      .strict()
      .default({ url: 'sqlite:fat.db' }),
    domnet: z
      .object({
        /** the program and its fixed leading arguments; `<tty> -c <config> -p <base_port> -n <n>` follow */
        program: z.array(z.string().min(1)).min(1),
        config: z.string().default('domnet.ini'),
        devices_per_wire_pair: z.number().int().min(1).max(8).default(4),
        /** seconds to wait for each instance's report lines */
        start_timeout_s: z.number().positive().default(15),
        instances: z.array(z.object({ tty: z.string().min(1), base_port: z.number().int().min(1).max(65535) }).strict()).min(1),
      })
      .strict(),
    /** host on which DomNet's device and command ports listen */
    daq_host: z.string().max(255).default('127.0.0.1'),
    expected: z
      .object({ fpga_version: z.number().int().default(272), software_version: z.number().int().default(62) })
      .strict()
      .default({ fpga_version: 272, software_version: 62 }),
    tabletop: z
      .object({
        address,
        /** the ICM command port of the DomNet instance that serves the tabletop board, and its device there (RapCal) */
        icm_address: z
          .string()
          .regex(/^tcp:\/\/[^:/]+:\d+\/?$/, 'an ICM command port like tcp://127.0.0.1:6008')
          .refine(portInRange, PORT_RANGE)
          .optional(),
        icm_device: z.number().int().min(0).max(7).default(0),
      })
      .strict(),
    function_generator: z.object({ address }).strict(),
    filter_wheels: z.array(z.object({ address, strengths: z.array(z.number().min(0).max(1)).min(1) }).strict()).length(2),
    thermometer: z.object({ address, channels: z.record(z.string(), z.string()).default({}) }).strict(),
    humidity: z.array(z.object({ address, name: z.string() }).strict()).min(1),
    freezer: z.object({ mode: z.enum(['controller', 'manual']).default('controller'), address: address.optional() }).strict(),
    laser: z
      .object({ frequency_hz: z.number().positive().default(100) })
      .strict()
      .default({ frequency_hz: 100 }),
    /** where the run stops: what the master leaves the lab in when the run ends for any reason */
    safe_state: z
      .object({ hv: z.enum(['keep', 'ramp_down']).default('keep'), laser_off: z.boolean().default(true) })
      .strict()
      .default({ hv: 'keep', laser_off: true }),
    /** per-task snapshots: a folder (local or a network mount) or an rsync target (host:/path) */
    backup: z
      .object({
        destination: z.string().min(1).default('backups'),
        retry_s: z.number().positive().default(300),
      })
      .strict()
      .default({ destination: 'backups', retry_s: 300 }),
    /** camera_file_checker copies the camera measurements here: a folder (relative to the home folder) or a mounted share */
    cameras: z
      .object({ copy_to: z.string().min(1).optional() })
      .strict()
      .default({}),
    /** Slack: the token comes from $SLACK_BOT_TOKEN or token_file, never from this file */
    slack: z
      .object({
        channel: z.string().min(1),
        shifter: z.string().default(''),
        expert: z.string().default(''),
        token_file: z.string().optional(),
        /** wall seconds one Slack API call may take before it counts as lost */
        timeout_s: z.number().positive().max(300).default(15),
        /** prompts with Yes/No buttons and operator actions answered in Slack over Socket Mode (an app token: $SLACK_APP_TOKEN or app_token_file) */
        socket_mode: z.boolean().default(false),
        app_token_file: z.string().optional(),
        /** who may answer and pause, resume or abort from Slack: members of this user group (S...) and these user ids (U...) */
        operators_group: z
          .string()
          .regex(/^S[A-Z0-9]+$/, 'a Slack user group id like S0123ABCD (not its @handle)')
          .optional(),
        operators: z.array(z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id like U0123ABCD (not a name)')).default([]),
      })
      .strict()
      .superRefine((s, ctx) => {
        if (s.socket_mode && !s.operators_group && s.operators.length === 0)
          ctx.addIssue({
            code: 'custom',
            path: ['socket_mode'],
            message:
              'socket_mode = true needs operators_group = "S..." or operators = ["U...", ...]: only they may answer prompts and pause, resume or abort in Slack',
          });
      })
      .optional(),
    /** suspenders: the master pauses between tasks while a reading is out of its band */
    conditions: z
      .object({
        humidity_max_pct: z.number().min(0).max(100).default(60),
        /** allowed distance of the freezer air from its set point once it has been reached */
        freezer_band_c: z.number().positive().default(5),
        /** how long a reading must be back in band before the master resumes */
        resume_after_s: z.number().nonnegative().default(600),
      })
      .strict()
      .default({ humidity_max_pct: 60, freezer_band_c: 5, resume_after_s: 600 }),
    master: z
      .object({
        /** run a status check between measurement tasks */
        status_check_between: z.boolean().default(true),
        /** a task silent for longer than this many times its estimate raises one alert */
        watchdog_factor: z.number().positive().default(2),
        /** below this much free space where the raw data goes, the run pauses before a measurement (0: never) */
        min_free_mb: z.number().min(0).default(500),
      })
      .strict()
      .default({ status_check_between: true, watchdog_factor: 2, min_free_mb: 500 }),
    /** present when the station is icefat's simulated lab */
    sim: z
      .object({ seed: z.number().int(), base_port: z.number().int().min(1).max(65535) })
      .strict()
      .optional(),
  })
  .strict();

export type Station = z.infer<typeof stationSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and validates a station file; every problem names the file, the field and what was expected. */
export function loadStation(file: string): Station {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_STATION_BYTES)
      throw new ConfigError(
        `station file ${file} is ${(size / 1048576).toFixed(1)} MiB: a station file is a few KiB; is it the right file?`,
      );
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(
      `station file ${file} cannot be read: run \`fat sim start\` or \`fat demo\` once to create one, or write it by hand (see README)`,
    );
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    const where = e instanceof TomlError ? ` line ${e.line}, column ${e.column}` : '';
    throw new ConfigError(`station file ${file}${where}: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = stationSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  - ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new ConfigError(`station file ${file} is not valid:\n${lines.join('\n')}`);
  }
  return r.data;
}

/** Every D-Egg port the station's DomNet instances serve. */
export function modulePorts(st: Station): number[] {
  return st.domnet.instances.flatMap((i) => Array.from({ length: st.domnet.devices_per_wire_pair }, (_, d) => i.base_port + d));
}

/** The wire pair (index of its DomNet instance) a port belongs to, and the ICM command port. */
export function wirePairOf(st: Station, port: number): { wirePair: number; address: number; icmPort: number } {
  const n = st.domnet.devices_per_wire_pair;
  const wp = st.domnet.instances.findIndex((i) => port >= i.base_port && port < i.base_port + n);
  if (wp < 0) throw new ConfigError(`port ${port} belongs to no DomNet instance of this station`);
  const base = st.domnet.instances[wp].base_port;
  return { wirePair: wp, address: port - base, icmPort: base + 1000 };
}

import fs from 'node:fs';
import path from 'node:path';
import { abortError, ScaledClock, type Clock } from '../clock/clock.js';
import { LabClock } from '../clock/clock-link.js';
import { loadStation, type Station } from '../lab/station.js';
import { simStationToml } from '../lab/station-defaults.js';
import { openStore, type Db, type StoreOptions } from '../store/open.js';
import { makeDir } from '../util/make-dir.js';

/**
 * All state of a station lives under one home folder: `--home DIR`, else $FAT_HOME, else
 * ./fat-home. Layout:
 *   station.toml        instruments by address
 *   modules.toml        the D-Egg registry (serials of PMTs, glass, mainboard, ...)
 *   fat.db              the store (unless station.toml or FAT_DB names PostgreSQL)
 *   json/run/run_NNNNN.json, json/run_NNNNN/<DEggSerial>.json   exports in the original layout
 *   data/<type>/YYYYMMDD_NN/                                   raw data
 *   logs/                                                       run logs, DomNet supervisor log
 */
export interface Home {
  dir: string;
  stationFile: string;
  registryFile: string;
  jsonDir: string;
  dataDir: string;
  logsDir: string;
  /** state of the DomNet supervisor started by `fat setup` */
  domnetStatusFile: string;
}

export function homePaths(dir: string): Home {
  return {
    dir,
    stationFile: path.join(dir, 'station.toml'),
    registryFile: path.join(dir, 'modules.toml'),
    jsonDir: path.join(dir, 'json'),
    dataDir: path.join(dir, 'data'),
    logsDir: path.join(dir, 'logs'),
    domnetStatusFile: path.join(dir, 'domnet-status.json'),
  };
}

/**
 * Makes sure the home folder exists; a fresh one gets a station file that points at the simulated
 * lab (seed and base port as given), so `fat sim start` and the checklist work out of the box.
 */
export function ensureHome(
  dir: string,
  sim: { seed: number; basePort: number; timeScale: number; virtualTime?: boolean } = { seed: 1, basePort: 5000, timeScale: 1 },
): Home {
  const home = homePaths(dir);
  for (const d of [home.dir, home.jsonDir, home.dataDir, home.logsDir]) makeDir(d);
  if (!fs.existsSync(home.stationFile)) fs.writeFileSync(home.stationFile, simStationToml(sim));
  return home;
}

export function storeUrl(home: Home, station: Station): string {
  // an empty FAT_DB (`FAT_DB= fat ...`) means unset, not a file named ''
  const url = process.env.FAT_DB || station.store.url;
  if (url.startsWith('postgres')) return url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('sqlite:')) {
    const where = process.env.FAT_DB ? 'FAT_DB' : `${home.stationFile} [store] url`;
    throw new Error(`${where} = "${url}": the store is postgres://user@host:5432/db or sqlite:FILE (a file in the home folder by default)`);
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  return `sqlite:${path.resolve(home.dir, file)}`;
}

export interface Workspace {
  home: Home;
  station: Station;
  db: Db;
  /** lab time of this station (scaled when it drives a simulated lab that runs faster) */
  clock: Clock;
  close(): Promise<void>;
}

/** Opens the home folder, its station file and its store (creating what a fresh home lacks). */
export async function openWorkspace(dir: string, clock?: Clock, store: StoreOptions = {}): Promise<Workspace> {
  const home = ensureHome(dir);
  const station = loadStation(home.stationFile);
  const db = await openStore(storeUrl(home, station), store);
  const labTime = clock ?? (await stationClock(station));
  await db
    .insertInto('stations')
    .values({ name: station.name })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return {
    home,
    station,
    db,
    clock: labTime,
    close: async () => {
      if (labTime !== clock && labTime instanceof LabClock) labTime.close();
      await db.destroy();
    },
  };
}

/**
 * The station's lab time: wall time run `clock.time_scale` times faster, or the virtual time of a
 * simulated lab in another process (`clock.lab_clock`). When that lab is not up, lab time stands
 * at the wall clock and any wait fails naming the lab's clock port: reading the store still works.
 */
export async function stationClock(station: Station): Promise<Clock> {
  const link = station.clock.lab_clock;
  if (!link) return new ScaledClock(station.clock.time_scale, station.clock.origin ? Date.parse(station.clock.origin) : Date.now());
  const url = new URL(link);
  try {
    return await LabClock.connect(Number(url.port), url.hostname);
  } catch (e) {
    const why = e as Error;
    return {
      scale: Number.POSITIVE_INFINITY,
      now: () => Date.now(),
      sleep: (_ms, signal) => Promise.reject(signal?.aborted ? abortError(signal) : why),
    };
  }
}

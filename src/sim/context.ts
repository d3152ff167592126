import type { Clock } from '../clock/clock.js';
import type { FaultSet } from './faults.js';
import type { LabState } from './lab-state.js';
import type { SimPorts } from './layout.js';

/** What every simulated instrument gets: one clock, one seed, the ports, the faults, the lab. */
export interface SimContext {
  clock: Clock;
  seed: number;
  ports: SimPorts;
  faults: FaultSet;
  lab: LabState;
  /** loopback address to bind (default 127.0.0.1) */
  host: string;
  log: (msg: string) => void;
}

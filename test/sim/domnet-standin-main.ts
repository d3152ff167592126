// The stand-in domnet as a program of its own, as `fat sim domnet ...` runs it (spawned by the tests).
import { runStandinDomnet } from '../../src/sim/domnet/standin.js';

process.exit(await runStandinDomnet(process.argv.slice(2)));

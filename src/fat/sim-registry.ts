import { registryEntrySchema, type RegistryEntry } from '../station/registry.js';
import { moduleRegistry } from '../sim/domnet/registry.js';
import type { LabTruth } from '../sim/physics.js';

/** The registry a lab keeps for the modules it received: for the simulated lab, from its truth. */
export function simRegistry(truth: LabTruth): RegistryEntry[] {
  return registryEntrySchema.array().parse(moduleRegistry(truth).degg);
}

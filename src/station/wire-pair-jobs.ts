/**
 * How the FAT works on many modules at once: one module per wire pair at a time (the four modules
 * of a wire pair share one serial line to the field hub), several wire pairs in parallel (-j).
 */
export function wirePairLanes<T extends { wirePair: number; port: number }>(modules: T[]): T[][] {
  const lanes = new Map<number, T[]>();
  for (const m of [...modules].sort((a, b) => a.port - b.port)) {
    const lane = lanes.get(m.wirePair) ?? [];
    lane.push(m);
    lanes.set(m.wirePair, lane);
  }
  return [...lanes.values()];
}

/** Runs `fn` for every module: each lane in order, at most `jobs` lanes at a time. */
export async function runLanes<T>(lanes: T[][], jobs: number, fn: (m: T) => Promise<void>): Promise<void> {
  const queue = [...lanes];
  const worker = async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const m of lane) await fn(m);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, lanes.length)) }, worker));
}

/**
 * How many times the event loop turned while `work` ran: 0 when it held the loop from start to end
 * (synchronous work behind an await), thousands when it ran in another thread.
 */
export async function turnsDuring(work: Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const turn = () => {
    turns++;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  try {
    await work;
  } finally {
    running = false;
  }
  return turns;
}

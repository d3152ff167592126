// One builder at a time per build (the test suite and a shifter's terminals may start many `fat`
// at once): a lock folder holding the builder's pid, taken over when that process is gone.
import fs from 'node:fs';
import path from 'node:path';

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Takes the lock folder `lock` (waiting for another builder, taking over a dead one's); returns its release. */
export async function takeLock(lock) {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const until = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let holder = 0;
    try {
      holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')) || 0;
    } catch {
      // the holder has made the folder but not yet written its pid
    }
    const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if ((holder && !pidAlive(holder)) || (!holder && age > 10_000)) fs.rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > until) throw new Error(`another build (pid ${holder}) has held ${lock} for over 3 minutes`);
    else await new Promise((r) => setTimeout(r, 50));
  }
}

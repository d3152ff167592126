import type { Workspace } from '../station/workspace.js';
import { entryKindOf, syncAutoEntries } from '../logbook/auto.js';
import type { EventSink, FatEvent } from '../station/events.js';

/**
 * Keeps the logbook's automatic entries current while the master runs: an event that makes an
 * entry (run start and end, operator actions, pauses, exclusions) starts a sync of the store's
 * events, and closing syncs once more, after the store sink has written the last events. The sync
 * is idempotent and `fat serve` and `fat log` sync before they read, so a sync that fails here
 * (a busy store) loses nothing: it is left to the next one.
 */
export function createLogbookSink(ws: Workspace): EventSink {
  const sync = () => syncAutoEntries(ws).catch(() => 0);
  const makesEntry = (e: FatEvent) => entryKindOf(e.kind, e.data ?? {});
  return {
    async emit(e) {
      if (makesEntry(e)) await sync();
    },
    // one turn after its events, like the store's lane, whose write of them comes first: one sync for a burst
    async emitMany(events) {
      if (events.some(makesEntry)) await sync();
    },
    async close() {
      await sync();
    },
  };
}

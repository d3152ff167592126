/**
 * Everything that happens during a run becomes an event: the console shows it, the run log keeps
 * it, the store records it, Slack gets the ones a person should see. Sinks never throw into the
 * master: a broken sink must not stop a FAT.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'critical';

export interface FatEvent {
  level: Level;
  /** dotted kind, e.g. 'run.start', 'task.start', 'task.done', 'task.failed', 'prompt.open', 'module.excluded' */
  kind: string;
  message: string;
  /** lab time, ms since the epoch */
  timeMs: number;
  runId: number | null;
  /** who should be told beyond the log: 'channel' posts to the Slack channel, 'people' also DMs the shifter and the expert */
  audience?: 'log' | 'channel' | 'people';
  /** extra text for people (a trace), kept out of the one-line console form */
  detail?: string;
  data?: Record<string, unknown>;
}

export interface EventSink {
  emit(e: FatEvent): void | Promise<void>;
  /**
   * A sink that writes several events at once (the store: one statement, one commit) gets, one turn
   * of the event loop after an event, every event that came meanwhile, in order.
   */
  emitMany?(events: FatEvent[]): Promise<void>;
  close?(): Promise<void>;
}

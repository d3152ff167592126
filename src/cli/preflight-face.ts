import type { StepResult } from '../fat/preflight/journal.js';
import type { PreflightStep } from '../fat/preflight/steps.js';

/**
 * How `fat preflight` talks to the person: on a terminal through @clack/prompts (questions,
 * confirmations, a retry after a failure), or unattended with --yes (everything confirmed, a
 * failure ends the walk). With --json the lines go to stderr and stdout keeps the JSON alone.
 */
export interface Face {
  interactive: boolean;
  begin: (title: string) => void;
  step: (n: number, step: PreflightStep) => void;
  line: (text: string) => void;
  result: (r: StepResult) => void;
  /** a failed step: what it found and what to check (after a Ctrl+C at a question: only that) */
  failure: (step: PreflightStep, message: string, cancelled: boolean) => void;
  note: (text: string, title: string) => void;
  end: (text: string) => void;
  retry: (step: PreflightStep) => Promise<boolean>;
  comment: () => Promise<string | undefined>;
  laserPowerSupplyOn: () => Promise<boolean>;
  confirmMissing: (missing: Array<{ port: number; error: string }>) => Promise<boolean>;
  /** the pre-filled Start New Run entry: posted (with the person's remarks) or not */
  confirmEntry: (markdown: string) => Promise<{ post: boolean; remarks: string }>;
}

/** Ctrl+C at a question: the walk ends at this step at once (no retry offered); a rerun picks up here. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled at the terminal; `fat preflight` picks up at this step next time');
    this.name = 'Cancelled';
  }
}

const mark = { pass: 'OK', warn: 'WARNING', fail: 'FAILED' } as const;

/** --yes: every question answered yes, no retries; `out` is stdout, or stderr under --json. */
export function unattendedFace(out: (s: string) => void): Face {
  return {
    interactive: false,
    begin: (t) => out(t),
    step: (n, s) => out(`\n=== ${n}. ${s.title}  (${s.command})`),
    line: (t) => out(`  ${t}`),
    result: (r) => out(`  [${mark[r.state]}] ${r.message}`),
    failure: (s) => out(`\nStopped at "${s.title}".\nWhat to check: ${s.advice}`),
    note: (t, title) => out(`--- ${title}\n${t}\n---`),
    end: (t) => out(`\n${t}`),
    retry: () => Promise.resolve(false),
    comment: () => Promise.resolve(undefined),
    laserPowerSupplyOn: () => Promise.resolve(true),
    confirmMissing: () => Promise.resolve(false),
    confirmEntry: () => Promise.resolve({ post: true, remarks: '' }),
  };
}

/** A terminal: the person answers each question; Ctrl+C at a question ends the walk where it is. */
export async function terminalFace(): Promise<Face> {
  const p = await import('@clack/prompts');
  function answer<T>(v: T | symbol): T {
    if (typeof v === 'symbol') throw new Cancelled();
    return v;
  }
  return {
    interactive: true,
    begin: (t) => p.intro(t),
    step: (n, s) => p.log.step(`${n}. ${s.title}  (${s.command})`),
    line: (t) => p.log.message(t),
    // a failure is shown by `failure`, with what to check
    result: (r) => (r.state === 'pass' ? p.log.success(r.message) : r.state === 'warn' ? p.log.warn(r.message) : undefined),
    failure: (s, m, cancelled) => (cancelled ? p.log.error(m) : p.note(`${m}\n\nWhat to check: ${s.advice}`, `Stopped at: ${s.title}`)),
    note: (t, title) => p.note(t, title),
    end: (t) => p.outro(t),
    retry: async (s) => answer<boolean>(await p.confirm({ message: `Retry "${s.title}" now?`, initialValue: true })),
    comment: async () =>
      answer<string>(
        await p.text({
          message: 'Please provide a short comment about this run:',
          validate: (v) => (v?.trim() ? undefined : 'a comment is needed'),
        }),
      ),
    laserPowerSupplyOn: async () =>
      answer<boolean>(
        await p.confirm({ message: 'Is the laser power supply on? (the one check no script can make)', initialValue: false }),
      ),
    confirmMissing: async (missing) => {
      p.log.warn(missing.map((m) => `No connection to port ${m.port}: ${m.error}`).join('\n'));
      return answer<boolean>(
        await p.confirm({ message: `${missing.length} D-Egg(s) did not answer. Create the run without them?`, initialValue: false }),
      );
    },
    confirmEntry: async (markdown) => {
      p.note(markdown, 'Start New Run (FAT logbook)');
      const post = answer<boolean>(await p.confirm({ message: 'Post this Start New Run entry to the FAT logbook?', initialValue: true }));
      if (!post) return { post, remarks: '' };
      const remarks = answer<string>(
        await p.text({ message: 'Remarks for the entry (Enter for none):', defaultValue: '', placeholder: 'none' }),
      );
      return { post, remarks };
    },
  };
}

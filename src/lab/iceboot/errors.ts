import { printable } from '../../util/printable.js';

/**
 * Every failure of a mainboard conversation, phrased for the shifter: which module, at which
 * address, what was sent, what was expected and what came back.
 */
export type IcebootErrorKind =
  | 'timeout' // nothing (or not enough) came back in time
  | 'closed' // the device port closed the connection
  | 'unexpected' // something came back, but not what the command answers
  | 'failed' // the word ran and reported a failure (`<word>: FAIL`, `ERROR`)
  | 'interlock' // a client-side interlock check refused to send the command
  | 'connect'; // the device port could not be reached

export class IcebootError extends Error {
  constructor(
    readonly kind: IcebootErrorKind,
    /** e.g. `D-Egg at tcp://127.0.0.1:5006` */
    readonly module: string,
    readonly command: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'IcebootError';
  }
}

/** Shows a reply safely in a message: control and non-ASCII bytes as \xNN, long replies cut. */
export function showReply(text: string, max = 120): string {
  return `"${printable(text, max).replace(/"/g, '\\"')}"`;
}

import type { RecordedResult, ResultInput } from '../records/results.js';
import type { TaskContext } from './types.js';

/** What a result row says besides whose it is and its name: the value, its detail, why it is missing. */
export type Quantity = Omit<ResultInput, 'port' | 'serial' | 'pmt' | 'name'>;

/** Whose a row is: the module (port, serial) and the PMT's name in its document (none for a module-wide quantity). */
export type ResultOf = Pick<ResultInput, 'port' | 'serial' | 'pmt'>;

/** The result row `name` of PMT (or module) `x`. */
export const resultRow = (x: ResultOf, name: string, q: Quantity): ResultInput => ({
  port: x.port,
  serial: x.serial,
  pmt: x.pmt,
  name,
  ...q,
});

/** One row `name` per PMT (or module) of `xs`, its quantity from `quantity`, recorded under `kind` with the data folder. */
export function recordResultRows<X extends ResultOf>(
  ctx: TaskContext,
  kind: string,
  folder: string | null,
  xs: X[],
  name: string,
  quantity: (x: X) => Quantity,
): Promise<RecordedResult[]> {
  return ctx.record.results(
    kind,
    folder,
    xs.map((x) => resultRow(x, name, quantity(x))),
  );
}

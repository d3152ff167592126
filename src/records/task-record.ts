import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Workspace } from '../station/workspace.js';
import { nextKey, type PmtName } from './entries.js';
import {
  afterDocCommit,
  docChange,
  docVersions,
  committedDoc,
  exportDoc,
  readDocVersion,
  type JsonDoc,
  type MadeDoc,
  type VersionedDoc,
} from './json-docs.js';
import type { CoalescedExports } from './coalesced-export.js';
import { judgeResults, resultWrites, type RecordedResult, type ResultInput, type ResultRow } from './results.js';
import { sampleWrites } from './samples.js';
import { executeWrites, type Write } from '../store/write-set.js';

type Change = (doc: JsonDoc) => unknown;

/**
 * What one attempt of a task puts on record: entries and changes in the run and D-Egg documents,
 * its judged result rows and its monitoring samples (records/samples.ts). A kind stages them through its context while it runs (`entry`,
 * `update`, `results`); the engine commits them with the task's end in one transaction (`commit`)
 * and exports the documents after it (`exportDocs`). An attempt that is interrupted commits
 * nothing, so the store never holds half a measurement; its raw files stay in their folder.
 *
 * A staged change is applied at once to a working copy (so an entry's key and what the task
 * reads back are known while it runs). At commit the working copy is stored as it is when the
 * document is still the version it was read at; when someone else committed a change meanwhile
 * (an operator's exclusion), the staged changes are applied again to the stored document, so
 * theirs is kept.
 */
export class TaskRecord {
  private readonly changes = new Map<string, Change[]>();
  /** the working copies (read at a version, with the staged changes applied) */
  private readonly working = new Map<string, VersionedDoc>();
  /** the versions the commit made, for `committedDoc` after it */
  private readonly made = new Map<string, MadeDoc>();
  private readonly rows: ResultRow[] = [];
  /** judged rows stored as monitoring samples */
  private readonly sampled: ResultRow[] = [];
  /** result kinds whose earlier rows of this task are replaced */
  private readonly replaced = new Set<string>();
  /** the quantities the task's kind declares (unset: not checked) */
  private declared: { kind: string; names: ReadonlySet<string> } | undefined;
  /** result names recorded that the kind does not declare: a fault of icefat, reported by the engine */
  private readonly undeclared = new Set<string>();

  constructor(
    private readonly ws: Workspace,
    private readonly origin: { runId: number; taskId: number | null },
  ) {}

  /** The quantities the task's kind declares (`TaskKind.quantities`): results of any other name are noted in `undeclared`. */
  declare(kind: string, quantities: readonly string[] | undefined): this {
    this.declared = quantities && { kind, names: new Set(quantities) };
    return this;
  }

  /** One line naming the undeclared quantities recorded, or undefined when there are none. */
  undeclaredNote(): string | undefined {
    if (!this.undeclared.size || !this.declared) return undefined;
    return `${this.declared.kind} recorded ${[...this.undeclared].join(', ')}, which it does not declare among its quantities: the results are kept; this is a fault of icefat, tell an expert`;
  }

  /** Changes the document of `file` (in place); returns what `mutate` returns. */
  async update<T>(file: string, mutate: (doc: JsonDoc) => T): Promise<T> {
    let copy = this.working.get(file);
    if (!copy) {
      copy = await readDocVersion(this.ws, file);
      // changes staged before the working copy existed (`stage`)
      for (const c of this.changes.get(file) ?? []) c(copy.doc);
      this.working.set(file, copy);
    }
    const out = mutate(copy.doc);
    this.changes.set(file, [...(this.changes.get(file) ?? []), mutate]);
    return out;
  }

  /**
   * Stages a change of `file` without reading the document (the engine's state change of the run
   * file after every task): it is applied at commit, and to the working copy if the task has one.
   * The document must be in the store already.
   */
  stage(file: string, mutate: Change): void {
    const copy = this.working.get(file);
    if (copy) mutate(copy.doc);
    this.changes.set(file, [...(this.changes.get(file) ?? []), mutate]);
  }

  /** Adds a measurement entry `<name>_NN` (on a PMT or at the top); returns its key. */
  entry(file: string, name: string, entry: JsonDoc, pmt?: PmtName): Promise<string> {
    return this.update(file, (doc) => {
      const target = pmt ? (doc[pmt] as JsonDoc | undefined) : doc;
      if (!target || typeof target !== 'object') throw new Error(`${file} has no ${pmt} section`);
      const key = nextKey(target, name);
      target[key] = entry;
      return key;
    });
  }

  /**
   * Judges result rows against the goalposts now and stages them; returns the verdicts. With
   * `replace`, the task's earlier rows of `kind` go (an analysis that runs again leaves one set).
   */
  async results(kind: string, folder: string | null, rows: ResultInput[], o: { replace?: boolean } = {}): Promise<RecordedResult[]> {
    const { values, judged } = await this.judge(kind, folder, rows);
    if (o.replace && this.origin.taskId) this.replaced.add(kind);
    for (const v of values) this.rows.push(v);
    return judged;
  }

  /**
   * As `results`, for the samples a monitoring task takes over and over: judged the same, stored
   * packed per module (records/samples.ts), read back among the results.
   */
  async samples(kind: string, folder: string | null, rows: ResultInput[]): Promise<RecordedResult[]> {
    const { values, judged } = await this.judge(kind, folder, rows);
    for (const v of values) this.sampled.push(v);
    return judged;
  }

  private judge(kind: string, folder: string | null, rows: ResultInput[]) {
    for (const r of rows) if (this.declared && !this.declared.names.has(r.name)) this.undeclared.add(r.name);
    return judgeResults(this.ws, { ...this.origin, kind, folder }, rows);
  }

  /** Writes everything staged inside `tx` (the transaction that also ends the task). */
  async commit(tx: Transaction<Database>): Promise<void> {
    await executeWrites(tx, await this.writes(tx));
  }

  /**
   * The statements that write everything staged, for `executeWrites` in `tx`, after what they need
   * read in `tx` first: the changed documents' versions, in one query (their rows locked on PostgreSQL). On
   * PostgreSQL they become one statement with whatever else ends the task (engine/journal.ts),
   * whose parts do not see each other's rows: the samples' place among the results reads the
   * results table, so a record with both has its results inserted here, before.
   */
  async writes(tx: Transaction<Database>): Promise<Write[]> {
    const out: Write[] = [];
    const versions = await docVersions(tx, this.ws, [...this.changes.keys()]);
    for (const [file, changes] of this.changes) {
      // a file only staged to (the engine's task states) is seen by the staged changes alone
      const { write, ...made } = await docChange(tx, this.ws, file, (doc) => changes.forEach((c) => c(doc)), this.working.get(file), {
        keep: !this.working.has(file),
        version: versions.get(file),
      });
      this.made.set(file, made);
      out.push(write);
    }
    for (const kind of this.replaced)
      for (const table of ['results', 'monitoring_samples'] as const)
        out.push(
          tx.deleteFrom(table).where('run_id', '=', this.origin.runId).where('task_id', '=', this.origin.taskId).where('kind', '=', kind),
        );
    const results = resultWrites(tx, this.rows);
    if (results.length && this.sampled.length) await executeWrites(tx, [...out.splice(0), ...results]);
    else out.push(...results);
    out.push(...sampleWrites(tx, this.sampled));
    return out;
  }

  /** Outside the engine (`fat measure`, analysis jobs): commits in a transaction of its own and exports. */
  async commitAlone(): Promise<void> {
    if (!this.changes.size && !this.rows.length && !this.sampled.length && !this.replaced.size) return;
    await this.ws.db.transaction().execute((tx) => this.commit(tx));
    await this.exportDocs();
  }

  /** After the commit: writes the changed documents' files, or hands them to the master's coalesced exports. */
  async exportDocs(via?: Pick<CoalescedExports, 'changed'>): Promise<void> {
    if (!this.changes.size) return;
    for (const [file, made] of this.made) committedDoc(this.ws, file, made);
    afterDocCommit();
    if (via) await via.changed(this.changes.keys());
    else for (const file of this.changes.keys()) await exportDoc(this.ws, file);
  }
}

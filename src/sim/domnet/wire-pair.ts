import type { SimContext } from '../context.js';
import { startDevicePort, type MainboardSim } from '../iceboot/mainboard.js';
import type { ModuleTruth } from '../physics.js';
import { startIcmServer, type IcmServer } from './icm-server.js';
import { WirePairIcm } from './icm.js';

export interface WirePairModule {
  truth: ModuleTruth;
  mb: MainboardSim;
}

/**
 * One DomNet instance: the four device ports of a wire pair and its ICM command port. The ports
 * exist only while something holds the instance (a stand-in `domnet` process, or the lab itself in
 * 'auto' mode); the mainboards and the ICM state live on between holders, as the hardware does.
 */
export class WirePair {
  readonly icm: WirePairIcm;
  private readonly holders = new Set<string>();
  private servers: Array<{ close(): Promise<void> }> = [];
  private transition: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: SimContext,
    readonly wp: number,
    readonly modules: WirePairModule[],
  ) {
    this.icm = new WirePairIcm(
      ctx,
      wp,
      modules.map((m) => ({ address: m.truth.address, port: m.truth.port, icmId: m.truth.icmId, mb: m.mb })),
      (address) => this.modules.find((m) => m.truth.address === address)?.mb.detachAll(),
    );
  }

  get basePort(): number {
    return this.ctx.ports.wirePairBase(this.wp);
  }

  get icmPort(): number {
    return this.ctx.ports.icm(this.wp);
  }

  get isOpen(): boolean {
    return this.servers.length > 0;
  }

  heldBy(holder: string): boolean {
    return this.holders.has(holder);
  }

  /** Holders other than `except` (to refuse a second domnet on the same wire pair). */
  otherHolders(except?: string): string[] {
    return [...this.holders].filter((h) => h !== except);
  }

  /** Opens the ports for `holder` (idempotent per holder). */
  async hold(holder: string): Promise<void> {
    this.holders.add(holder);
    await this.serialise(async () => {
      if (this.holders.size && !this.isOpen) await this.open();
    }).catch((err: unknown) => {
      this.holders.delete(holder);
      throw err;
    });
  }

  /** Lets go for `holder`; the ports close when nobody holds them. */
  async release(holder: string): Promise<void> {
    this.holders.delete(holder);
    await this.serialise(async () => {
      if (!this.holders.size && this.isOpen) await this.close();
    });
  }

  /** Closes the ports whoever holds them (lab shutdown). */
  async shutdown(): Promise<void> {
    this.holders.clear();
    await this.serialise(() => this.close());
  }

  private serialise(step: () => Promise<void>): Promise<void> {
    const next = this.transition.then(step);
    this.transition = next.catch(() => undefined);
    return next;
  }

  private async open(): Promise<void> {
    const opened: Array<{ close(): Promise<void> }> = [];
    try {
      for (const m of this.modules) {
        opened.push(await startDevicePort(this.ctx, this.ctx.ports.mainboard(this.wp, m.truth.address), m.mb));
      }
      const icm: IcmServer = await startIcmServer(this.ctx, this.icmPort, this.icm);
      opened.push(icm);
    } catch (err) {
      await Promise.allSettled(opened.map((s) => s.close()));
      throw err;
    }
    this.servers = opened;
    this.ctx.log(
      `wire pair ${this.wp}: device ports ${this.basePort}-${this.basePort + this.modules.length - 1} and ICM port ${this.icmPort} open`,
    );
  }

  private async close(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    // a DomNet that goes away drops every client connection with it
    for (const m of this.modules) m.mb.detachAll();
    await Promise.allSettled(servers.map((s) => s.close()));
    if (servers.length) this.ctx.log(`wire pair ${this.wp}: ports closed`);
  }
}

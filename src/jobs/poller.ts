// Background refresh of active jobs. Each provider gets a small concurrency cap; the request
// budget itself (e.g. pyannoteAI's 100/min) is enforced in the vendor HTTP client, which the
// poller and tool calls share. Long jobs back off (JobService.pollDelay).

import type { Logger } from "../logger.js";
import { withBudgetScope } from "../providers/http/request-budget.js";
import type { Job } from "./job.js";
import type { JobService } from "./job-service.js";

export interface PollerOptions {
  tickMs: number;
  concurrencyPerProvider: number;
}

export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly perProvider = new Map<string, number>();
  /** The tick under way: one at a time, across its awaits (the store answers asynchronously). */
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly jobs: JobService,
    private readonly logger: Logger,
    private readonly options: PollerOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    // tick() never rejects: a failed tick is logged and the next one tries again.
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    // The transport keeps the process alive; the poller must not on its own.
    this.timer.unref();
    void this.tick();
  }

  /** One look at the due jobs; a call while a tick is under way joins it. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    const tick = this.tickNow().finally(() => {
      this.ticking = undefined;
    });
    this.ticking = tick;
    return tick;
  }

  private async tickNow(): Promise<void> {
    try {
      await this.jobs.resolveInterruptedSubmissions();
      await this.jobs.renewLeases();
      await this.jobs.checkWorkHere();
      const bulk = new Map<string, Job[]>();
      for (const job of await this.jobs.dueJobs()) {
        if (this.inFlight.has(job.id)) continue;
        // A provider with a listing is polled in one request for all its jobs (pyannoteAI's
        // /v2/jobs) instead of one GET per job against its 100 requests a minute.
        if (this.jobs.pollsInBulk(job.provider)) {
          bulk.set(job.provider, [...(bulk.get(job.provider) ?? []), job]);
          continue;
        }
        const running = this.perProvider.get(job.provider) ?? 0;
        if (running >= this.options.concurrencyPerProvider) continue;
        this.perProvider.set(job.provider, running + 1);
        // Background lane: a poll never waits for the vendor's budget, and leaves a reserve of
        // it to what a user waits on (RequestBudget).
        const work = withBudgetScope({ lane: "background" }, () => this.jobs.refresh(job.id))
          .catch((error: unknown) => {
            this.logger.debug(`poll of ${job.id} failed`, { error: error instanceof Error ? error.message : String(error) });
          })
          .finally(() => {
            this.inFlight.delete(job.id);
            this.perProvider.set(job.provider, (this.perProvider.get(job.provider) ?? 1) - 1);
          });
        this.inFlight.set(job.id, work);
      }
      for (const [provider, due] of bulk) {
        const key = `bulk:${provider}`;
        if (this.inFlight.has(key)) continue;
        const work = withBudgetScope({ lane: "background" }, () => this.jobs.refreshInBulk(due[0]!.provider, due))
          .catch((error: unknown) => {
            this.logger.debug(`bulk poll of ${provider} failed`, { error: error instanceof Error ? error.message : String(error) });
          })
          .finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, work);
      }
    } catch (error) {
      this.logger.error("poller tick failed", { error: error instanceof Error ? error.message : String(error) });
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // A tick under way may still start polls: it ends first, then every poll it started.
    await this.ticking;
    await Promise.allSettled([...this.inFlight.values()]);
  }
}

// A provider adapter driven by a script, for testing the core without a vendor: each job
// moves queued → running → succeeded after a set number of refreshes, and its result is a
// list of rows so paging and budgets can be checked against a known truth.

import type { Job, JobSnapshot, ProviderId } from "../../src/jobs/job.js";
import type { CondensedView } from "../../src/condense/view.js";
import type {
  CondenseInput,
  FetchedResults,
  InterruptedSubmission,
  ProviderAdapter,
  ProviderInfo,
  ResultSink,
  StartRequest,
  SubmissionLookup,
} from "../../src/providers/provider.js";
import { ProviderError } from "../../src/errors.js";

export interface ScriptedAdapterOptions {
  id?: ProviderId;
  refreshesUntilDone?: number;
  rows?: number;
  finalStatus?: "succeeded" | "failed";
  canCancel?: boolean;
  configured?: boolean;
  /** Whether a running job reports done/total (default true); some vendors report none. */
  reportsProgress?: boolean;
}

export class ScriptedAdapter implements ProviderAdapter {
  readonly id: ProviderId;
  readonly starts: StartRequest[] = [];
  readonly gets: string[] = [];
  readonly fetches: string[] = [];
  readonly states = new Map<string, { gets: number; canceled: boolean }>();
  failNextGet: Error | undefined;
  /** What the adapter says of an interrupted submission; absent unless a test sets it. */
  findSubmission?: (submission: InterruptedSubmission) => Promise<SubmissionLookup>;
  private counter = 0;
  readonly pollPolicy = { initialDelayMs: 20, maxDelayMs: 50, factor: 1.5 };

  constructor(private readonly options: ScriptedAdapterOptions = {}) {
    this.id = options.id ?? "pyannote";
  }

  describe(): ProviderInfo {
    return {
      id: this.id,
      name: "Scripted",
      description: "test adapter",
      configured: this.options.configured ?? true,
      setup: "set SCRIPTED_KEY",
      tasks: [
        {
          task: "diarize",
          description: "scripted rows",
          inputs: ["url", "path"],
          options: [],
          views: ["timeline", "summary"],
          filters: ["start_s", "end_s"],
        },
      ],
      urlSchemes: ["https", "media"],
      canCancel: this.options.canCancel ?? false,
      canListRemote: false,
    };
  }

  async start(request: StartRequest): Promise<JobSnapshot> {
    this.starts.push(request);
    const nativeId = `job-${++this.counter}`;
    this.states.set(nativeId, { gets: 0, canceled: false });
    return { nativeId, status: "queued", providerStatus: "created" };
  }

  async get(nativeId: string): Promise<JobSnapshot> {
    this.gets.push(nativeId);
    if (this.failNextGet) {
      const error = this.failNextGet;
      this.failNextGet = undefined;
      throw error;
    }
    const state = this.states.get(nativeId) ?? { gets: 0, canceled: false };
    this.states.set(nativeId, state);
    state.gets++;
    if (state.canceled) return { nativeId, status: "canceled", providerStatus: "canceled" };
    const done = this.options.refreshesUntilDone ?? 2;
    if (state.gets >= done) {
      const status = this.options.finalStatus ?? "succeeded";
      return {
        nativeId,
        status,
        providerStatus: status,
        ...(status === "failed" ? { error: { code: "vendor_failed", message: "audio could not be decoded" } } : {}),
      };
    }
    const progress = this.options.reportsProgress === false ? {} : { progress: { done: state.gets, total: done, unit: "steps" } };
    return { nativeId, status: "running", providerStatus: "running", ...progress };
  }

  async fetchResults(job: Job, sink: ResultSink): Promise<FetchedResults> {
    this.fetches.push(job.nativeId);
    const rows = Array.from({ length: this.options.rows ?? 50 }, (_, index) => ({ start: index, text: `row ${index} ${"x".repeat(20)}` }));
    await sink.putPart("raw.json", JSON.stringify({ rows }), "application/json");
    return { index: { rows }, description: `${rows.length} rows` };
  }

  async cancel(job: Job): Promise<JobSnapshot> {
    if (!this.options.canCancel) throw new ProviderError("no cancel", { provider: this.id, retryable: false });
    this.states.get(job.nativeId)!.canceled = true;
    return { nativeId: job.nativeId, status: "canceled", providerStatus: "canceled" };
  }

  condense({ index, query }: CondenseInput): CondensedView {
    const rows = (index as { rows: Array<{ start: number; text: string }> }).rows.filter(
      (row) => (query.start_s === undefined || row.start >= query.start_s) && (query.end_s === undefined || row.start <= query.end_s),
    );
    return {
      about: ["scripted job"],
      summary: [`${rows.length} rows in view`],
      sections: [{ heading: "Rows", rows: rows.map((row) => row.text) }],
      figures: { rows: rows.length },
    };
  }
}

/** Stand-in for cancel-less adapters: the same adapter without the method. */
export function withoutCancel(adapter: ScriptedAdapter): ProviderAdapter {
  const copy: ProviderAdapter = Object.create(adapter) as ProviderAdapter;
  Object.defineProperty(copy, "cancel", { value: undefined });
  return copy;
}

// TEMPORARY (until the async-store branch lands): the async JobStore of ASYNC-STORE-CONTRACT.md.
import type { ReplayGuard, VoiceprintStore } from "../providers/provider.js";
import type { JobStore as SyncJobStore } from "./store.js";

type Async<T> = { [K in keyof T]: T[K] extends (...parameters: infer P) => infer R ? (...parameters: P) => Promise<R> : T[K] };
export type JobStore = Omit<Async<SyncJobStore>, "voiceprints" | "replayGuard"> & {
  voiceprints: Async<VoiceprintStore>;
  replayGuard: Async<ReplayGuard>;
  watchJobs(listener: (jobId: string) => void): () => void;
};

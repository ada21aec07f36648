// The replicas bench in small, run with the suite: three built replicas on a fresh PostgreSQL
// database, two OAuth users, 9 pyannoteAI jobs, one SIGKILL and restart while they are polled
// (the bench also kills one while jobs are being started: a cut-off start may take the others a
// minute to settle, too long for the suite). Correctness only: every job ends, none is lost,
// one vendor POST each, no job polled by two replicas at once, the vendor's limit kept, waits on
// other replicas end with the finished job. Timing figures belong to `npm run bench:replicas`.

import { expect, it } from "vitest";
import { runReplicasBench } from "../../src/bench/replicas-bench.js";
import { assertBuilt } from "./harness.js";

it("three replicas lose no job and send none twice through a SIGKILL and restart", async () => {
  assertBuilt();
  const lines: string[] = [];
  const report = await runReplicasBench({ jobs: 9, replicas: 3, kills: 1, killWhileStarting: false, reads: 0, jobMs: 2_000, leaseMs: 3_000, deadlineMs: 120_000, assertTiming: false, log: (line) => lines.push(line) });
  expect(report.failures, lines.join("\n")).toEqual([]);
}, 180_000);

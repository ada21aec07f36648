// The files an in-process job (the local analyzer, Hume's current API) reads when it runs: that
// may be long after start_job checked them, and in another process — a replica that took the
// job over from a server that stopped, possibly on another machine, where a {path} means nothing.

import { constants } from "node:fs";
import { access } from "node:fs/promises";
import type { JobError, JobInput } from "../jobs/job.js";

/**
 * Why the job cannot run here, when one of its {path} inputs cannot be read by this process;
 * undefined when all can. `resumed`: this process did not start the job (a restart or a takeover).
 */
export async function unreadableInput(inputs: JobInput[], resumed: boolean): Promise<JobError | undefined> {
  for (const input of inputs) {
    if (input.kind !== "path") continue;
    try {
      await access(input.path, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "read error";
      const why = resumed
        ? "this server took the job over from the one that started it (which stopped before finishing), and a path names a file on one machine: it is not readable here, or it was moved or deleted since"
        : "it was moved or deleted after start_job checked it";
      return {
        code: "input_unavailable",
        message: `${input.name} cannot be read by the server running this job (${code}): ${why}. Start the job again with a file this server can read (on a remote server: create_upload, then media {upload})`,
      };
    }
  }
  return undefined;
}

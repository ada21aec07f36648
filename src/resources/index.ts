// Job and result resources (templates with list and completion of job_id) and the
// voiceprint label list. Resource text is ours or stored results; never a key or voiceprint.

import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { escapeForDisplay, escapeJsonText } from "../condense/format.js";
import type { AppContext, SessionContext } from "../context.js";
import { NotFoundError } from "../errors.js";
import type { Job } from "../jobs/job.js";
import { toJobView } from "../tools/job-view.js";
import { jobUri, partUri, resultUri, VOICEPRINTS_URI } from "./uris.js";

const LISTED_JOBS = 50;
const TEXT_TYPES = /^(application\/(json|x-ndjson|ld\+json)|text\/)/;

export function registerResources(server: McpServer, app: AppContext, session: SessionContext): void {
  const variable = (value: string | string[] | undefined): string => decodeURIComponent(String(Array.isArray(value) ? value[0] : value ?? ""));

  const findJob = (id: string): Job => {
    const job = app.store.getJob(id);
    if (!job || (session.owner !== undefined && job.owner !== undefined && job.owner !== session.owner)) {
      throw new NotFoundError(`no job ${id} here`);
    }
    return job;
  };
  const recentJobs = () =>
    app.store.listJobs({ limit: LISTED_JOBS, owner: session.owner }).jobs;
  const completeJobId = (prefix: string) =>
    app.store
      .completeJobIds(prefix, 100)
      .filter((id) => {
        const job = app.store.getJob(id);
        return job && (session.owner === undefined || job.owner === undefined || job.owner === session.owner);
      })
      .slice(0, 20);

  server.registerResource(
    "job",
    new ResourceTemplate("media-jobs://jobs/{job_id}", {
      list: async () => ({
        resources: recentJobs().map((job) => ({
          uri: jobUri(job.id),
          name: job.id,
          title: `${job.task} job ${job.label ? `"${escapeForDisplay(job.label)}" ` : ""}(${job.status})`,
          mimeType: "application/json",
        })),
      }),
      complete: { job_id: (value) => completeJobId(value) },
    }),
    {
      title: "Job",
      description: "A job's status, inputs, progress and error as JSON. Subscribe to be told when it changes.",
      mimeType: "application/json",
    },
    async (uri, variables): Promise<ReadResourceResult> => {
      const job = findJob(variable(variables.job_id));
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: escapeJsonText(JSON.stringify(toJobView(job), null, 2)) }] };
    },
  );

  server.registerResource(
    "job-result",
    new ResourceTemplate("media-jobs://jobs/{job_id}/result", {
      list: async () => ({
        resources: recentJobs()
          .filter((job) => job.resultState === "stored")
          .map((job) => {
            const parts = app.store.listResultParts(job.id);
            return {
              uri: resultUri(job.id),
              name: `${job.id} result`,
              mimeType: "application/json",
              size: parts.reduce((total, part) => total + part.bytes, 0),
            };
          }),
      }),
      complete: { job_id: (value) => completeJobId(value).filter((id) => app.store.getJob(id)?.resultState === "stored") },
    }),
    {
      title: "Job result (full)",
      description:
        "The full stored result of a finished job, as the vendor returned it (large: prefer get_predictions for a condensed view). Binary parts such as Hume artifacts are linked by their own URIs.",
      mimeType: "application/json",
    },
    async (uri, variables): Promise<ReadResourceResult> => {
      const job = findJob(variable(variables.job_id));
      if (job.resultState !== "stored") {
        throw new NotFoundError(`job ${job.id} has no stored result yet (status ${job.status})`);
      }
      const contents: ReadResourceResult["contents"] = [];
      for (const part of app.store.listResultParts(job.id)) {
        if (TEXT_TYPES.test(part.contentType)) {
          const stored = app.store.getResultPart(job.id, part.name)!;
          contents.push({ uri: partUri(job.id, part.name), mimeType: part.contentType, text: stored.data.toString("utf8") });
        } else {
          contents.push({
            uri: partUri(job.id, part.name),
            mimeType: "application/json",
            text: JSON.stringify({ part: part.name, mimeType: part.contentType, bytes: part.bytes, read: partUri(job.id, part.name) }),
          });
        }
      }
      if (contents.length === 0) {
        const index = app.store.getResultIndex(job.id);
        contents.push({ uri: uri.href, mimeType: "application/json", text: JSON.stringify(index?.index ?? null) });
      }
      return { contents };
    },
  );

  server.registerResource(
    "job-result-part",
    new ResourceTemplate("media-jobs://jobs/{job_id}/parts/{part}", {
      // Each stored part with its size and type, e.g. Hume's artifacts.zip.
      list: async () => ({
        resources: recentJobs()
          .filter((job) => job.resultState === "stored")
          .flatMap((job) =>
            app.store.listResultParts(job.id).map((part) => ({
              uri: partUri(job.id, part.name),
              name: `${job.id} ${part.name}`,
              mimeType: part.contentType,
              size: part.bytes,
            })),
          ),
      }),
      complete: { job_id: (value) => completeJobId(value) },
    }),
    {
      title: "Job result part",
      description: "One stored part of a job's result, e.g. Hume's artifacts.zip (binary, base64) or the raw predictions JSON.",
    },
    async (uri, variables): Promise<ReadResourceResult> => {
      const job = findJob(variable(variables.job_id));
      const part = app.store.getResultPart(job.id, variable(variables.part));
      if (!part) throw new NotFoundError(`job ${job.id} has no result part ${variable(variables.part)}`);
      return {
        contents: [
          TEXT_TYPES.test(part.contentType)
            ? { uri: uri.href, mimeType: part.contentType, text: part.data.toString("utf8") }
            : { uri: uri.href, mimeType: part.contentType, blob: part.data.toString("base64") },
        ],
      };
    },
  );

  server.registerResource(
    "voiceprints",
    VOICEPRINTS_URI,
    {
      title: "Stored voiceprints",
      description: "Labels of the voiceprints stored by pyannote voiceprint jobs (the voiceprints themselves are never shown). Use a label in identify jobs: options.voiceprints.",
      mimeType: "application/json",
    },
    async (uri): Promise<ReadResourceResult> => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify(
            app.store.voiceprints.list().map((entry) => ({
              label: entry.label,
              provider: entry.provider,
              source_job_id: entry.sourceJobId,
              created_at: entry.createdAt,
            })),
          ),
        },
      ],
    }),
  );
}

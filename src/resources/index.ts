// Job and result resources (templates with list and completion of job_id) and the
// voiceprint label list. Resource text is ours or stored results; never a key or voiceprint.

import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { escapeForDisplay, escapeJsonText } from "../condense/format.js";
import type { AppContext, SessionContext } from "../context.js";
import { NotFoundError } from "../errors.js";
import { visibleTo, type Job } from "../jobs/job.js";
import { toJobView } from "../tools/job-view.js";
import { chunkCount, chunkOf, describeChunking, RESULT_CHUNK_BYTES } from "./result-chunks.js";
import { chunkUri, jobUri, partUri, resultUri, VOICEPRINTS_URI } from "./uris.js";

const LISTED_JOBS = 50;
const TEXT_TYPES = /^(application\/(json|x-ndjson|ld\+json)|text\/)/;
const JSON_TYPES = /^application\/(json|x-ndjson|ld\+json)/;
/** Decompressed parts are kept this long, so reading a large part chunk by chunk decompresses it once. */
const PART_CACHE_MS = 60_000;

/** Stored text as sent: JSON keeps its data but never carries bidi or C1 controls raw. */
function partText(data: Buffer, contentType: string): string {
  const text = data.toString("utf8");
  return JSON_TYPES.test(contentType) ? escapeJsonText(text) : text;
}

/** `onListed` runs on each resources/list: only a client that listed has a list to refresh. */
export function registerResources(server: McpServer, app: AppContext, session: SessionContext, onListed: () => void = () => undefined): void {
  const variable = (value: string | string[] | undefined): string => decodeURIComponent(String(Array.isArray(value) ? value[0] : value ?? ""));

  const findJob = async (id: string): Promise<Job> => {
    const job = await app.store.getJob(id);
    // Another user's job answers word for word like a job that does not exist.
    if (!job || !visibleTo(job, session.owner)) throw new NotFoundError(`no job ${id} here`);
    return job;
  };
  const recentJobs = async () => {
    onListed();
    return (await app.store.listJobs({ limit: LISTED_JOBS, owner: session.owner })).jobs;
  };
  let cachedPart: { key: string; data: Buffer; contentType: string; timer: NodeJS.Timeout } | undefined;
  const readPart = async (jobId: string, name: string): Promise<{ data: Buffer; contentType: string } | undefined> => {
    const key = `${jobId}\u0000${name}`;
    if (cachedPart?.key === key) return cachedPart;
    const stored = await app.store.getResultPart(jobId, name);
    if (!stored) return undefined;
    if (cachedPart) clearTimeout(cachedPart.timer);
    if (stored.data.length > RESULT_CHUNK_BYTES) {
      const timer = setTimeout(() => (cachedPart = undefined), PART_CACHE_MS);
      timer.unref();
      cachedPart = { key, data: stored.data, contentType: stored.contentType, timer };
    } else cachedPart = undefined;
    return stored;
  };
  /** What a client reads instead of a part too large for one message: its chunks, in order. */
  const chunkListing = (job: Job, part: { name: string; contentType: string; bytes: number }) => ({
    part: part.name,
    mime_type: part.contentType,
    bytes: part.bytes,
    uri: partUri(job.id, part.name),
    chunks: Array.from({ length: chunkCount(part.bytes) }, (_, index) => chunkUri(job.id, part.name, index)),
  });
  const CHUNKS_NOTE =
    "Too large for one message: read each chunk URI in order and concatenate. Text chunks are UTF-8 text cut at character boundaries; binary chunks are base64 of consecutive byte ranges.";

  /** The caller's own job ids only: the store filters by owner, so another user's ids neither show nor crowd them out. */
  const completeJobId = (prefix: string) => app.store.completeJobIds(prefix, 20, session.owner);

  server.registerResource(
    "job",
    new ResourceTemplate("media-jobs://jobs/{job_id}", {
      list: async () => ({
        resources: (await recentJobs()).map((job) => ({
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
      const job = await findJob(variable(variables.job_id));
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: escapeJsonText(JSON.stringify(toJobView(job), null, 2)) }] };
    },
  );

  server.registerResource(
    "job-result",
    new ResourceTemplate("media-jobs://jobs/{job_id}/result", {
      list: async () => ({
        resources: await Promise.all(
          (await recentJobs())
            .filter((job) => job.resultState === "stored")
            .map(async (job) => {
              const parts = await app.store.listResultParts(job.id);
              const size = parts.reduce((total, part) => total + part.bytes, 0);
              const large = parts.some((part) => part.bytes > RESULT_CHUNK_BYTES) || size > RESULT_CHUNK_BYTES;
              return {
                uri: resultUri(job.id),
                name: `${job.id} result`,
                mimeType: "application/json",
                size,
                ...(large ? { description: `${describeChunking(size)}: reading it lists the chunk URIs to read in order` } : {}),
              };
            }),
        ),
      }),
      complete: {
        job_id: async (value) => {
          const ids: string[] = [];
          for (const id of await completeJobId(value)) if ((await app.store.getJob(id))?.resultState === "stored") ids.push(id);
          return ids;
        },
      },
    }),
    {
      title: "Job result (full)",
      description:
        "The full stored result of a finished job, as the vendor returned it (large: prefer get_predictions for a condensed view). Binary parts such as Hume artifacts are linked by their own URIs. A result over 1 MiB is not sent in one message: reading it lists chunk URIs (…/parts/{part}/chunks/{n}, ≤ 1 MiB each) to read in order.",
      mimeType: "application/json",
    },
    async (uri, variables): Promise<ReadResourceResult> => {
      const job = await findJob(variable(variables.job_id));
      if (job.resultState !== "stored") {
        throw new NotFoundError(`job ${job.id} has no stored result yet (status ${job.status})`);
      }
      const parts = await app.store.listResultParts(job.id);
      const inlineBytes = parts.filter((part) => TEXT_TYPES.test(part.contentType)).reduce((total, part) => total + part.bytes, 0);
      if (inlineBytes > RESULT_CHUNK_BYTES) {
        const listing = { job_id: job.id, bytes: parts.reduce((total, part) => total + part.bytes, 0), note: CHUNKS_NOTE, parts: parts.map((part) => chunkListing(job, part)) };
        return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(listing) }] };
      }
      const contents: ReadResourceResult["contents"] = [];
      for (const part of parts) {
        if (TEXT_TYPES.test(part.contentType)) {
          const stored = (await app.store.getResultPart(job.id, part.name))!;
          contents.push({ uri: partUri(job.id, part.name), mimeType: part.contentType, text: partText(stored.data, part.contentType) });
        } else {
          contents.push({
            uri: partUri(job.id, part.name),
            mimeType: "application/json",
            text: JSON.stringify({ part: part.name, mimeType: part.contentType, bytes: part.bytes, read: partUri(job.id, part.name), ...(part.bytes > RESULT_CHUNK_BYTES ? { chunks: chunkListing(job, part).chunks } : {}) }),
          });
        }
      }
      if (contents.length === 0) {
        const index = await app.store.getResultIndex(job.id);
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
        resources: (
          await Promise.all(
            (await recentJobs())
              .filter((job) => job.resultState === "stored")
              .map(async (job) =>
                (await app.store.listResultParts(job.id)).map((part) => ({
                  uri: partUri(job.id, part.name),
                  name: `${job.id} ${part.name}`,
                  mimeType: part.contentType,
                  size: part.bytes,
                  ...(part.bytes > RESULT_CHUNK_BYTES ? { description: `${describeChunking(part.bytes)}: reading it lists the chunk URIs to read in order` } : {}),
                })),
              ),
          )
        ).flat(),
      }),
      complete: { job_id: (value) => completeJobId(value) },
    }),
    {
      title: "Job result part",
      description:
        "One stored part of a job's result, e.g. Hume's artifacts.zip (binary, base64) or the raw predictions JSON. A part over 1 MiB lists its chunk URIs instead (read them in order).",
    },
    async (uri, variables): Promise<ReadResourceResult> => {
      const job = await findJob(variable(variables.job_id));
      const name = variable(variables.part);
      const listed = (await app.store.listResultParts(job.id)).find((part) => part.name === name);
      if (!listed) throw new NotFoundError(`job ${job.id} has no result part ${name}`);
      if (listed.bytes > RESULT_CHUNK_BYTES) {
        return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ note: CHUNKS_NOTE, ...chunkListing(job, listed) }) }] };
      }
      const part = (await readPart(job.id, name))!;
      return {
        contents: [
          TEXT_TYPES.test(part.contentType)
            ? { uri: uri.href, mimeType: part.contentType, text: partText(part.data, part.contentType) }
            : { uri: uri.href, mimeType: part.contentType, blob: part.data.toString("base64") },
        ],
      };
    },
  );

  server.registerResource(
    "job-result-chunk",
    new ResourceTemplate("media-jobs://jobs/{job_id}/parts/{part}/chunks/{chunk}", {
      // Chunk URIs are listed by the part they belong to; listing every chunk here would be noise.
      list: undefined,
      complete: { job_id: (value) => completeJobId(value) },
    }),
    {
      title: "Job result part chunk",
      description: "One ≤ 1 MiB chunk of a large stored part, by 0-based index; the part's own URI lists them in order.",
    },
    async (uri, variables): Promise<ReadResourceResult> => {
      const job = await findJob(variable(variables.job_id));
      const name = variable(variables.part);
      const part = await readPart(job.id, name);
      if (!part) throw new NotFoundError(`job ${job.id} has no result part ${name}`);
      const raw = variable(variables.chunk);
      const text = TEXT_TYPES.test(part.contentType);
      const chunk = /^\d{1,9}$/.test(raw) ? chunkOf(part.data, Number(raw), text) : undefined;
      if (!chunk) throw new NotFoundError(`part ${name} of job ${job.id} has chunks 0–${chunkCount(part.data.length) - 1}; no chunk ${raw.slice(0, 20)}`);
      return {
        contents: [
          text
            ? { uri: uri.href, mimeType: part.contentType, text: partText(chunk, part.contentType) }
            : { uri: uri.href, mimeType: part.contentType, blob: chunk.toString("base64") },
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
            (await app.store.voiceprints.list(session.owner)).map((entry) => ({
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

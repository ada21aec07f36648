import { z } from "zod";
import { PROVIDER_IDS, TASK_IDS } from "../jobs/job.js";
import { isSettled } from "../jobs/job-service.js";
import { defineTool, structuredResult } from "./define-tool.js";
import { jobText, listedJobSchema, toJobView } from "./job-view.js";
import { checkMediaUrls, MAX_MEDIA_ITEMS, mediaItemSchema, mediaKindOf, resolveMedia } from "./media-input.js";
import { waitWithProgress } from "./wait.js";

export const MAX_WAIT_SECONDS = 50;

/** Each provider takes different options, and Gemini refuses an object schema that declares
 * no properties, so the listed schema says "JSON text"; an object is accepted as well. */
const providerOptionsSchema = z
  .preprocess((value) => (value !== null && typeof value === "object" && !Array.isArray(value) ? JSON.stringify(value) : value), z.string().max(100_000))
  .transform((text, context) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      context.addIssue({ code: "custom", message: 'must be a JSON object of provider options, e.g. {"num_speakers":2}' });
      return z.NEVER;
    }
    return parsed as Record<string, unknown>;
  });

export const startJobTool = defineTool({
  name: "start_job",
  title: "Start job",
  description:
    "Starts a job (provider, task, options: see list_providers), returns its job_id at once. Media items: url, path or text. " +
    "Same idempotency_key and arguments → same job. Next: get_job with wait_seconds, get_predictions.",
  inputSchema: z
    .object({
      provider: z.enum(PROVIDER_IDS),
      task: z.enum(TASK_IDS).optional(),
      media: z.array(mediaItemSchema).min(1).max(MAX_MEDIA_ITEMS),
      options: providerOptionsSchema.optional().describe('JSON object, e.g. {"num_speakers":2}'),
      label: z.string().min(1).max(200).optional(),
      idempotency_key: z.string().min(1).max(200).optional(),
      wait_seconds: z.number().min(0).max(MAX_WAIT_SECONDS).optional(),
    })
    .strict(),
  outputSchema: z.object({ job: listedJobSchema, deduplicated: z.boolean() }),
  annotations: {
    title: "Start job",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  async handler(input, call) {
    const { app, session, extra } = call;
    // Which inputs the provider takes is checked before any local path is resolved, so a
    // URL-only provider says "needs a URL" rather than "path not allowed".
    app.jobs.resolveTask(input.provider, input.task, input.media.map(mediaKindOf));
    checkMediaUrls(app.providers.require(input.provider).describe(), input.media, { allowPrivateAddresses: app.config.allowPrivateUrls });
    // Uploads (HTTP mode) are taken once here, and given back when no job came of them.
    const owner = session.owner ?? "";
    // An upload that the job of this idempotency_key already used is passed as it was then (a
    // retry after a lost answer gets its job back); it stays that job's.
    const reused = new Set<string>();
    const takeUpload = async (id: string) => {
      const again = input.idempotency_key ? await app.uploads.usedUnderKey(id, owner, input.idempotency_key) : undefined;
      if (!again) return app.uploads.take(id, owner);
      reused.add(id);
      return again;
    };
    const giveBack = async (id: string) => {
      if (!reused.has(id)) await app.uploads.giveBack(id);
    };
    const uploads = session.transport === "http" ? { take: takeUpload, giveBack } : undefined;
    const media = await resolveMedia(input.media, () => session.allowedDirs(), uploads);
    const uploadIds = input.media.flatMap((item) => (item.upload !== undefined && !reused.has(item.upload) ? [item.upload] : []));
    let started;
    try {
      started = await app.jobs.start(
        {
          provider: input.provider,
          task: input.task,
          media,
          options: input.options ?? {},
          label: input.label,
          idempotencyKey: input.idempotency_key,
          owner: session.owner,
        },
        { signal: extra.signal },
      );
    } catch (error) {
      await Promise.allSettled(uploadIds.map((id) => app.uploads.giveBack(id)));
      throw error;
    }
    // A deduplicated start made no new job: its uploads stay unused.
    await Promise.allSettled(uploadIds.map((id) => (started.deduplicated ? app.uploads.giveBack(id) : app.uploads.attach(id, started.job.id))));
    let job = started.job;
    if (input.wait_seconds && !isSettled(job)) job = await waitWithProgress(call, job.id, input.wait_seconds);
    const view = toJobView(job);
    const prefix = started.deduplicated ? "Existing job returned for this idempotency_key (no new submission).\n" : "";
    return structuredResult(prefix + jobText(view), { job: view, deduplicated: started.deduplicated });
  },
});

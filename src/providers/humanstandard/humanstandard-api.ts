// HumanStandard wire format (docs.hsverify.com, seed 003): minimal, tolerant zod schemas.

import { z } from "zod";

/** The API takes at most this many inline items; larger catalogs go through a manifest. */
export const HUMANSTANDARD_MAX_ITEMS = 10_000;
/** Largest results page the API serves. */
export const HUMANSTANDARD_RESULTS_PAGE_SIZE = 1_000;
export const HUMANSTANDARD_REQUESTS_PER_MINUTE = 60;

/** Our side of `start_job.options` for HumanStandard. */
export const humanStandardOptionsSchema = z
  .object({
    manifest_url: z
      .string()
      .max(8_192)
      .refine((value) => /^https:\/\/[^\s]+$/i.test(value), "must be an https URL")
      .optional(),
  })
  .strict();

export type HumanStandardOptions = z.infer<typeof humanStandardOptionsSchema>;

const count = z.number().int().min(0).nullish().catch(undefined);

/** `POST /jobs` and `GET /jobs/{id}` answer with the same job shape. */
export const humanStandardJobSchema = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  status: z.string().nullish(),
  total: count,
  processed: count,
  succeeded: count,
  failed: count,
  verdict_counts: z.object({ human: count, suspicious: count }).nullish().catch(undefined),
  created_at: z.string().nullish(),
  completed_at: z.string().nullish(),
  /** Not documented on the job; read when present. */
  error: z.union([z.string(), z.object({ message: z.string().nullish() })]).nullish().catch(undefined),
  message: z.string().nullish(),
});

export type HumanStandardJob = z.infer<typeof humanStandardJobSchema>;

const verdict = z.enum(["human", "suspicious"]).nullish().catch(undefined);
const score = z.number().finite().nullish().catch(undefined);

/** One NDJSON results line. Anything unparseable per field is dropped, not fatal. */
export const humanStandardRecordSchema = z.object({
  item_id: z.union([z.string(), z.number()]).transform(String),
  status: z.string().nullish(),
  verdict,
  error: z.union([z.string(), z.object({ message: z.string().nullish(), code: z.string().nullish() })]).nullish().catch(undefined),
  tier_verdicts: z
    .object({ press_safe: verdict, human_safe: verdict, recall: verdict })
    .nullish()
    .catch(undefined),
  scores: z.object({ truth_score: score, reliability: score }).nullish().catch(undefined),
  origin: z.string().nullish().catch(undefined),
  origin_confidence: score,
  metadata: z.record(z.string(), z.unknown()).nullish().catch(undefined),
});

export type HumanStandardRecord = z.infer<typeof humanStandardRecordSchema>;

const webhookScores = z.object({ truth_score: score, reliability: score }).nullish().catch(undefined);

/** Webhook events (docs: job.complete, track.complete, job.failed). */
export const humanStandardWebhookSchema = z.object({
  event: z.string(),
  job_id: z.string().min(1),
  job_name: z.string().nullish(),
  completed_at: z.string().nullish(),
  item_id: z.union([z.string(), z.number()]).nullish(),
  status: z.string().nullish(),
  verdict,
  scores: webhookScores,
  summary: z
    .object({ total: count, processed: count, succeeded: count, failed: count })
    .nullish()
    .catch(undefined),
  /** Not documented on track.complete; used for progress when present. */
  processed: count,
  total: count,
  error: z.union([z.string(), z.object({ message: z.string().nullish() })]).nullish().catch(undefined),
  message: z.string().nullish(),
});

export type HumanStandardWebhook = z.infer<typeof humanStandardWebhookSchema>;

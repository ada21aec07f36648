// Hamsa wire format (docs.tryhamsa.com, seed 002): minimal, tolerant zod schemas.
// Unknown keys are ignored; every field we do not strictly need is nullish.

import { z } from "zod";

export const HAMSA_MODELS = ["Hamsa-General-V2.0", "Hamsa-Conversational-V1.0"] as const;
export const HAMSA_LANGUAGES = ["ar", "en"] as const;

/** Our side of `start_job.options` for Hamsa (snake_case, like every other provider). */
export const hamsaOptionsSchema = z
  .object({
    model: z.enum(HAMSA_MODELS).default("Hamsa-General-V2.0"),
    language: z.enum(HAMSA_LANGUAGES).default("ar"),
    return_srt: z.boolean().optional(),
  })
  .strict();

export type HamsaOptions = z.infer<typeof hamsaOptionsSchema>;

/** `POST /v1/jobs/transcribe` → `{success, message, data{jobId}}`. */
export const hamsaStartResponseSchema = z.object({
  success: z.boolean().nullish(),
  message: z.string().nullish(),
  data: z
    .object({
      jobId: z.string().min(1).nullish(),
      id: z.string().min(1).nullish(),
    })
    .nullish(),
});

/** Numbers sometimes arrive as strings in JSON APIs; accept both, keep undefined otherwise. */
const looseNumber = z.union([z.number(), z.string()]).nullish();

export const hamsaJobSchema = z.object({
  id: z.string().min(1),
  title: z.string().nullish(),
  model: z.string().nullish(),
  type: z.string().nullish(),
  status: z.string().nullish(),
  totalCost: looseNumber,
  usageTime: looseNumber,
  fromLng: z.string().nullish(),
  mediaUrl: z.string().nullish(),
  /** Undocumented for transcription: parsed defensively by hamsa-transcript.ts. */
  jobResponse: z.unknown().optional(),
  createdAt: z.string().nullish(),
  updatedAt: z.string().nullish(),
});

export type HamsaJob = z.infer<typeof hamsaJobSchema>;

/** `GET /v1/jobs?jobId=…` → `{message, previewUrl, data{…}}`. */
export const hamsaGetJobResponseSchema = z.object({
  message: z.string().nullish(),
  data: hamsaJobSchema,
});

/** `POST /v1/jobs/all?projectId=…` → `{data{jobs[], total, filtered}}`. */
export const hamsaListResponseSchema = z.object({
  data: z.object({
    jobs: z.array(hamsaJobSchema).nullish(),
    total: z.number().nullish(),
    filtered: z.number().nullish(),
  }),
});

/** Error bodies: we only ever show `message`, sanitized, and only from a vetted field. */
export const hamsaErrorBodySchema = z.object({ message: z.string().nullish() });

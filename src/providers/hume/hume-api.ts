// Hume Expression Measurement batch v0: tolerant zod schemas of the wire format (snake_case on
// the wire; the official SDK's camelCase is its own serialization). Unknown keys are ignored.
// The prediction bodies (tens of MB for an hour of video) are validated field by field in
// hume-index.ts instead: running zod over millions of {name, score} objects would cost several
// times the JSON.parse the index build is meant to match.

import { z } from "zod";

export const HUME_MODEL_NAMES = ["face", "burst", "prosody", "language", "ner", "facemesh"] as const;
export type HumeModelName = (typeof HUME_MODEL_NAMES)[number];

export const HUME_STATUSES = ["QUEUED", "IN_PROGRESS", "COMPLETED", "FAILED"] as const;

const timestamp = z.number().finite().nullish();

export const humeJobStateSchema = z.object({
  status: z.string(),
  created_timestamp_ms: timestamp,
  started_timestamp_ms: timestamp,
  ended_timestamp_ms: timestamp,
  num_predictions: z.number().nullish(),
  num_errors: z.number().nullish(),
  message: z.string().nullish(),
});

export const humeFileDetailSchema = z.object({
  filename: z.string().nullish(),
  content_type: z.string().nullish(),
  md5sum: z.string().nullish(),
});

export const humeJobRequestSchema = z.object({
  urls: z.array(z.string()).nullish(),
  text: z.array(z.string()).nullish(),
  files: z.array(humeFileDetailSchema).nullish(),
  models: z.record(z.string(), z.unknown()).nullish(),
  callback_url: z.string().nullish(),
});

export const humeJobSchema = z.object({
  type: z.string().nullish(),
  job_id: z.string().min(1),
  request: humeJobRequestSchema.nullish(),
  state: humeJobStateSchema,
});
export type HumeJob = z.infer<typeof humeJobSchema>;

export const humeJobListSchema = z.array(humeJobSchema);

export const humeStartResponseSchema = z.object({ job_id: z.string().min(1) });

/** The unsigned completion callback. Only `job_id` is trusted, and only as a hint to re-fetch. */
export const humeCallbackSchema = z.object({
  job_id: z.string().min(1).max(200),
  status: z.string().nullish(),
});

export const humeSourceSchema = z.object({
  type: z.string().nullish(),
  url: z.string().nullish(),
  filename: z.string().nullish(),
  content_type: z.string().nullish(),
  md5sum: z.string().nullish(),
});
export type HumeSource = z.infer<typeof humeSourceSchema>;

/** The envelope of GET /predictions; model blocks stay `unknown` for the one-pass index build. */
export const humePredictionsEnvelopeSchema = z.array(
  z.object({
    source: humeSourceSchema.nullish(),
    results: z
      .object({
        predictions: z
          .array(
            z.object({
              file: z.string().nullish(),
              models: z.record(z.string(), z.unknown()).nullish(),
            }),
          )
          .nullish(),
        errors: z.array(z.object({ message: z.string().nullish(), file: z.string().nullish() })).nullish(),
      })
      .nullish(),
    error: z.string().nullish(),
  }),
);
export type HumePredictionsEnvelope = z.infer<typeof humePredictionsEnvelopeSchema>;

// ---- start_job options (what the user passes in start_job.options) ----

export const HUME_LANGUAGES = [
  "zh", "da", "nl", "en", "en-AU", "en-IN", "en-NZ", "en-GB", "fr", "fr-CA", "de", "hi", "hi-Latn", "id", "it",
  "ja", "ko", "no", "pl", "pt", "pt-BR", "pt-PT", "ru", "es", "es-419", "sv", "ta", "tr", "uk",
] as const;

const GRANULARITIES = ["word", "sentence", "utterance", "conversational_turn"] as const;

/** Models that take no settings are written `{}` on the wire. */
const unconfigurable = z.object({}).strict();

const faceOptionsSchema = z
  .object({
    fps_pred: z.number().min(0, "fps_pred must be ≥ 0 (0 = every frame)").max(120, "fps_pred must be ≤ 120").optional(),
    prob_threshold: z.number().min(0, "prob_threshold must be between 0 and 1").max(1, "prob_threshold must be between 0 and 1").optional(),
    identify_faces: z.boolean().optional(),
    min_face_size: z.number().int("min_face_size must be a whole number of pixels").min(0).max(10_000).optional(),
    facs: unconfigurable.optional(),
    descriptions: unconfigurable.optional(),
    save_faces: z.boolean().optional(),
  })
  .strict();

const prosodyOptionsSchema = z
  .object({
    granularity: z.enum(GRANULARITIES).optional(),
    window: z
      .object({
        length: z.number().min(0.5, "window.length must be ≥ 0.5 seconds").max(3_600).optional(),
        step: z.number().min(0.5, "window.step must be ≥ 0.5 seconds").max(3_600).optional(),
      })
      .strict()
      .optional(),
    identify_speakers: z.boolean().optional(),
  })
  .strict();

const languageOptionsSchema = z
  .object({
    granularity: z.enum(GRANULARITIES).optional(),
    sentiment: unconfigurable.optional(),
    toxicity: unconfigurable.optional(),
    identify_speakers: z.boolean().optional(),
  })
  .strict();

export const humeStartOptionsSchema = z
  .object({
    models: z
      .object({
        face: faceOptionsSchema.optional(),
        burst: unconfigurable.optional(),
        prosody: prosodyOptionsSchema.optional(),
        language: languageOptionsSchema.optional(),
        ner: z.object({ identify_speakers: z.boolean().optional() }).strict().optional(),
        facemesh: unconfigurable.optional(),
      })
      .strict()
      .optional(),
    transcription: z
      .object({
        language: z.enum(HUME_LANGUAGES, { message: `transcription.language must be one of: ${HUME_LANGUAGES.join(", ")}` }).optional(),
        identify_speakers: z.boolean().optional(),
        confidence_threshold: z
          .number()
          .min(0, "transcription.confidence_threshold must be between 0 and 1")
          .max(1, "transcription.confidence_threshold must be between 0 and 1")
          .optional(),
      })
      .strict()
      .optional(),
    notify: z.boolean().optional(),
  })
  .strict();
export type HumeStartOptions = z.infer<typeof humeStartOptionsSchema>;

/** The JSON body of POST /v0/batch/jobs (also the `json` part of a multipart upload). */
export interface HumeStartBody extends HumeStartOptions {
  urls?: string[];
  text?: string[];
  callback_url?: string;
}

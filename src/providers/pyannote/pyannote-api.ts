// pyannoteAI wire format (PROVIDERS.md; seed 004 = OpenAPI of GET /v1/jobs/{jobId}).
// Tolerant schemas: unknown keys ignored, optional fields nullish. Only what we read is declared.

import { z } from "zod";

export const pyannoteStartResponseSchema = z.object({
  jobId: z.string().min(1),
  status: z.string().nullish(),
  warning: z.string().nullish(),
});

/**
 * Per-turn confidence (turnLevelConfidence: true) is an object `{SPEAKER_00: 16, SPEAKER_01: 93}`
 * (0–100) in the OpenAPI, not a number. Anything else is dropped rather than failing the job.
 */
const turnConfidenceSchema = z
  .unknown()
  .transform((value): Record<string, number> | undefined => {
    if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
    const scores = Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, number] => typeof entry[1] === "number" && Number.isFinite(entry[1]));
    return scores.length > 0 ? Object.fromEntries(scores) : undefined;
  });

const segmentSchema = z.object({
  speaker: z.string(),
  start: z.number(),
  end: z.number(),
  confidence: turnConfidenceSchema.optional(),
});

const transcriptionSegmentSchema = z.object({
  start: z.number(),
  end: z.number(),
  text: z.string(),
  speaker: z.string().nullish(),
});

/** A vendor string field that may also arrive as `{message}` (defensive; the OpenAPI says string). */
const vendorMessageSchema = z
  .unknown()
  .transform((value): string | undefined => {
    if (typeof value === "string") return value;
    if (value && typeof value === "object" && typeof (value as { message?: unknown }).message === "string") return (value as { message: string }).message;
    return undefined;
  });

export const pyannoteOutputSchema = z.object({
  diarization: z.array(segmentSchema).nullish(),
  exclusiveDiarization: z.array(segmentSchema).nullish(),
  /** Per-sample confidence (confidence: true): `score[]` 0–100, one sample every `resolution` s. */
  confidence: z.object({ score: z.array(z.number()).nullish(), resolution: z.number().nullish() }).nullish(),
  wordLevelTranscription: z.array(transcriptionSegmentSchema).nullish(),
  turnLevelTranscription: z.array(transcriptionSegmentSchema).nullish(),
  identification: z
    .array(
      z.object({
        speaker: z.string().nullish(),
        start: z.number(),
        end: z.number(),
        diarizationSpeaker: z.string().nullish(),
        match: z.string().nullish(),
        confidence: turnConfidenceSchema.optional(),
      }),
    )
    .nullish(),
  voiceprints: z
    .array(
      z.object({
        speaker: z.string(),
        match: z.string().nullish(),
        confidence: z.record(z.string(), z.number()).nullish(),
      }),
    )
    .nullish(),
  /** Opaque, up to ~20,000 characters: never shown, never logged, stored by label only. */
  voiceprint: z.string().nullish(),
  warning: vendorMessageSchema.optional(),
  error: vendorMessageSchema.optional(),
});

export type PyannoteOutput = z.infer<typeof pyannoteOutputSchema>;

export const pyannoteJobSchema = z.object({
  jobId: z.string(),
  status: z.string(),
  createdAt: z.string().nullish(),
  updatedAt: z.string().nullish(),
  output: pyannoteOutputSchema.nullish(),
});

export type PyannoteJob = z.infer<typeof pyannoteJobSchema>;

/** GET /v2/jobs: newest first, no output. */
export const pyannoteJobListSchema = z.object({
  items: z.array(z.object({ id: z.string(), status: z.string(), createdAt: z.string().nullish() })),
  nextCursor: z.string().nullish(),
});

/** POST /v1/media/input → 201 {url: presigned PUT URL}. */
export const pyannoteMediaInputSchema = z.object({ url: z.url({ protocol: /^https?$/ }) });

/** Webhook body (terminal states only). `output` is absent with webhookStatusOnly. */
export const pyannoteWebhookSchema = z.object({
  jobId: z.string().min(1).max(200),
  status: z.string().min(1).max(40),
});

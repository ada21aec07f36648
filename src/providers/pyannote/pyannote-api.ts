// pyannoteAI wire format (PROVIDERS.md; seed 004 = OpenAPI of GET /v1/jobs/{jobId}).
// Tolerant schemas: unknown keys ignored, optional fields nullish.

import { z } from "zod";

export const pyannoteStartResponseSchema = z.object({
  jobId: z.string().min(1),
  status: z.string().nullish(),
  warning: z.string().nullish(),
});

const segmentSchema = z.object({
  speaker: z.string(),
  start: z.number(),
  end: z.number(),
  confidence: z.number().nullish(),
});

const wordSchema = z.object({
  start: z.number(),
  end: z.number(),
  text: z.string(),
  speaker: z.string().nullish(),
});

export const pyannoteOutputSchema = z
  .object({
    diarization: z.array(segmentSchema).nullish(),
    exclusiveDiarization: z.array(segmentSchema).nullish(),
    confidence: z.object({ score: z.array(z.number()).nullish(), resolution: z.number().nullish() }).nullish(),
    wordLevelTranscription: z.array(wordSchema).nullish(),
    turnLevelTranscription: z.array(wordSchema).nullish(),
    identification: z
      .array(
        z.object({
          speaker: z.string(),
          start: z.number(),
          end: z.number(),
          diarizationSpeaker: z.string().nullish(),
          match: z.string().nullish(),
          confidence: z.unknown().nullish(),
        }),
      )
      .nullish(),
    voiceprints: z
      .array(z.object({ speaker: z.string(), match: z.string().nullish(), confidence: z.record(z.string(), z.number()).nullish() }))
      .nullish(),
    voiceprint: z.string().nullish(),
    warning: z.string().nullish(),
    error: z.unknown().nullish(),
  })
  .passthrough();

export type PyannoteOutput = z.infer<typeof pyannoteOutputSchema>;

export const pyannoteJobSchema = z.object({
  jobId: z.string(),
  status: z.string(),
  createdAt: z.string().nullish(),
  updatedAt: z.string().nullish(),
  output: pyannoteOutputSchema.nullish(),
});

export type PyannoteJob = z.infer<typeof pyannoteJobSchema>;

export const pyannoteJobListSchema = z.object({
  items: z.array(z.object({ id: z.string(), status: z.string(), createdAt: z.string().nullish() })),
  nextCursor: z.string().nullish(),
});

export const pyannoteMediaInputSchema = z.object({ url: z.string().url() });

export const pyannoteWebhookSchema = z.object({
  jobId: z.string().min(1),
  status: z.string(),
  output: pyannoteOutputSchema.nullish(),
});

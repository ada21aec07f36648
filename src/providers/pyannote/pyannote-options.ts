// Our start_job options for pyannoteAI (snake_case) and their mapping to the vendor's fields.

import { z } from "zod";
import { UserInputError } from "../../errors.js";

const PYANNOTE_MODELS = ["precision-2", "precision-1", "community-1"] as const;

const speakers = z.number().int().min(1).max(100);

export const pyannoteDiarizeOptionsSchema = z
  .object({
    model: z.enum(PYANNOTE_MODELS).optional(),
    num_speakers: speakers.optional(),
    min_speakers: speakers.optional(),
    max_speakers: speakers.optional(),
    exclusive: z.boolean().optional(),
    confidence: z.boolean().optional(),
    turn_level_confidence: z.boolean().optional(),
    transcription: z.boolean().optional(),
    transcription_model: z.string().min(1).max(100).optional(),
  })
  .strict();

export const pyannoteIdentifyOptionsSchema = pyannoteDiarizeOptionsSchema
  .omit({ transcription: true, transcription_model: true })
  .extend({
    voiceprints: z.array(z.string().min(1).max(100)).min(1).max(50),
    matching_exclusive: z.boolean().optional(),
    matching_threshold: z.number().min(0).max(100).optional(),
  })
  .strict();

export const pyannoteVoiceprintOptionsSchema = z.object({ model: z.enum(PYANNOTE_MODELS).optional() }).strict();

export const PYANNOTE_OPTION_DESCRIPTIONS = {
  diarize: [
    "model: precision-2 (default) | precision-1 | community-1",
    "num_speakers: exact number of speakers, if known",
    "min_speakers / max_speakers: bounds instead of an exact number",
    "exclusive: also return exclusive (non-overlapping) diarization",
    "confidence / turn_level_confidence: confidence scores",
    "transcription: true to get word- and turn-level transcripts (precision-2 only)",
    "transcription_model: transcription model name",
  ],
  voiceprint: ["model: precision-2 (default) | precision-1; label (required) names the stored voiceprint"],
  identify: [
    "voiceprints: labels of stored voiceprints to match (1–50), see list_providers notices",
    "matching_exclusive: one speaker per voiceprint (default true)",
    "matching_threshold: 0–100, minimum match confidence (default 0)",
    "model, num_speakers, min_speakers, max_speakers, exclusive, confidence as for diarize",
  ],
};

export function parseOptions<T>(schema: z.ZodType<T>, options: Record<string, unknown>, task: string): T {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `options.${issue.path.join(".")}` : "options";
    const message = issue.code === "unrecognized_keys" ? `unknown option(s) ${issue.keys.join(", ")}` : issue.message;
    throw new UserInputError(`pyannote ${task}: ${where}: ${message} (list_providers shows the options)`);
  }
  return parsed.data;
}

type DiarizeOptions = z.infer<typeof pyannoteDiarizeOptionsSchema>;

/** Vendor body fields shared by diarize and identify; checks what the vendor would refuse. */
export function toDiarizeFields(options: Omit<DiarizeOptions, "transcription" | "transcription_model"> & Partial<Pick<DiarizeOptions, "transcription" | "transcription_model">>): Record<string, unknown> {
  if (options.num_speakers !== undefined && (options.min_speakers !== undefined || options.max_speakers !== undefined)) {
    throw new UserInputError("pyannote: give num_speakers, or min_speakers/max_speakers, not both");
  }
  if (options.min_speakers !== undefined && options.max_speakers !== undefined && options.min_speakers > options.max_speakers) {
    throw new UserInputError("pyannote: min_speakers must not exceed max_speakers");
  }
  if (options.transcription && options.model && options.model !== "precision-2") {
    throw new UserInputError("pyannote: transcription is available with model precision-2 only");
  }
  if (options.transcription_model && !options.transcription) {
    throw new UserInputError("pyannote: transcription_model needs transcription: true");
  }
  return dropUndefined({
    model: options.model,
    numSpeakers: options.num_speakers,
    minSpeakers: options.min_speakers,
    maxSpeakers: options.max_speakers,
    exclusive: options.exclusive,
    confidence: options.confidence,
    turnLevelConfidence: options.turn_level_confidence,
    transcription: options.transcription,
    transcriptionConfig: options.transcription_model ? { model: options.transcription_model } : undefined,
  });
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

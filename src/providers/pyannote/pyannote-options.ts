// Our start_job options for pyannoteAI (snake_case, like every other tool argument) and their
// mapping to the vendor's camelCase fields. Everything the vendor would refuse is refused here
// first, with a message that says how to fix the call.

import { z } from "zod";
import { UserInputError } from "../../errors.js";

export const PYANNOTE_MODELS = ["precision-2", "precision-1", "community-1"] as const;
/** The voiceprint endpoint's OpenAPI enumerates precision-2 only. */
export const PYANNOTE_VOICEPRINT_MODELS = ["precision-2"] as const;
export const MAX_VOICEPRINTS = 50;
export const MAX_LABEL_CHARS = 100;

const speakers = z.number().int().min(1).max(100);

const diarizeShape = {
  model: z.enum(PYANNOTE_MODELS).optional(),
  num_speakers: speakers.optional(),
  min_speakers: speakers.optional(),
  max_speakers: speakers.optional(),
  exclusive: z.boolean().optional(),
  confidence: z.boolean().optional(),
  turn_level_confidence: z.boolean().optional(),
};

export const pyannoteDiarizeOptionsSchema = z
  .object({
    ...diarizeShape,
    transcription: z.boolean().optional(),
    transcription_model: z.string().min(1).max(100).optional(),
  })
  .strict();

export const pyannoteIdentifyOptionsSchema = z
  .object({
    ...diarizeShape,
    voiceprints: z.array(z.string().min(1).max(MAX_LABEL_CHARS)).min(1).max(MAX_VOICEPRINTS),
    matching_exclusive: z.boolean().optional(),
    matching_threshold: z.number().min(0).max(100).optional(),
    /** The vendor's own nesting, accepted as an alias of matching_exclusive/matching_threshold. */
    matching: z.object({ exclusive: z.boolean().optional(), threshold: z.number().min(0).max(100).optional() }).strict().optional(),
  })
  .strict();

export const pyannoteVoiceprintOptionsSchema = z.object({ model: z.enum(PYANNOTE_VOICEPRINT_MODELS).optional() }).strict();

export type PyannoteDiarizeOptions = z.infer<typeof pyannoteDiarizeOptionsSchema>;
export type PyannoteIdentifyOptions = z.infer<typeof pyannoteIdentifyOptionsSchema>;

export const PYANNOTE_OPTION_DESCRIPTIONS = {
  diarize: [
    "model: precision-2 | precision-1 | community-1 (precision-2)",
    "num_speakers: exact number of speakers, 1–100, when known (not with min/max_speakers)",
    "min_speakers / max_speakers: bounds on the number of speakers, 1–100",
    "exclusive: also compute exclusive diarization, one speaker at a time; view \"exclusive\" (false)",
    "confidence: per-sample confidence scores, summarized per turn (false)",
    "turn_level_confidence: per-turn confidence of the speaker assignment (false)",
    "transcription: word- and turn-level transcript, precision-2 only; view \"transcript\" (false)",
    "transcription_model: the transcription model's name (vendor default)",
  ],
  voiceprint: [
    "label (start_job argument, required): the name the voiceprint is stored under, ≤100 characters, not starting with \"speaker_\"",
    "model: precision-2 (precision-2)",
    "one speaker, ≤30 s of speech, ≤100 MiB; the voiceprint itself is never shown",
  ],
  identify: [
    "voiceprints (required): labels of stored voiceprints to match, 1–50 (list_providers notices list them)",
    "matching_exclusive: each voiceprint matches at most one speaker (true)",
    "matching_threshold: 0–100, lowest confidence that counts as a match (0)",
    "matching: {exclusive, threshold} is accepted too",
    "model, num_speakers, min_speakers, max_speakers, exclusive, confidence, turn_level_confidence: as for diarize (no transcription)",
  ],
};

const SNAKE_CASE_OF: Record<string, string> = {
  numSpeakers: "num_speakers",
  minSpeakers: "min_speakers",
  maxSpeakers: "max_speakers",
  turnLevelConfidence: "turn_level_confidence",
  transcriptionConfig: "transcription_model",
  matchingExclusive: "matching_exclusive",
  matchingThreshold: "matching_threshold",
};

export function parseOptions<T>(schema: z.ZodType<T>, options: Record<string, unknown>, task: string): T {
  if (task === "identify" && ("transcription" in options || "transcription_model" in options)) {
    throw new UserInputError("pyannote identify does not transcribe; run a diarize job with options.transcription: true for a transcript");
  }
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? `options.${issue.path.join(".")}` : "options";
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    const hints = issue.keys.map((key) => (SNAKE_CASE_OF[key] ? `${key} (write ${SNAKE_CASE_OF[key]})` : key));
    message = `unknown option(s) ${hints.join(", ")}`;
  }
  throw new UserInputError(`pyannote ${task}: ${where}: ${message} (list_providers shows the options)`);
}

type DiarizeFields = Omit<PyannoteDiarizeOptions, "transcription" | "transcription_model"> & Partial<Pick<PyannoteDiarizeOptions, "transcription" | "transcription_model">>;

/** Vendor body fields shared by diarize and identify; checks what the vendor would refuse. */
export function toDiarizeFields(options: DiarizeFields): Record<string, unknown> {
  if (options.num_speakers !== undefined && (options.min_speakers !== undefined || options.max_speakers !== undefined)) {
    throw new UserInputError("pyannote: give num_speakers, or min_speakers/max_speakers, not both");
  }
  if (options.min_speakers !== undefined && options.max_speakers !== undefined && options.min_speakers > options.max_speakers) {
    throw new UserInputError("pyannote: min_speakers must not exceed max_speakers");
  }
  if (options.transcription && options.model && options.model !== "precision-2") {
    throw new UserInputError(`pyannote: transcription is available with model precision-2 only (got ${options.model})`);
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

/** The vendor's `matching` object, or undefined to keep its defaults (exclusive, threshold 0). */
export function toMatching(options: Pick<PyannoteIdentifyOptions, "matching" | "matching_exclusive" | "matching_threshold">): Record<string, unknown> | undefined {
  const exclusive = options.matching_exclusive ?? options.matching?.exclusive;
  const threshold = options.matching_threshold ?? options.matching?.threshold;
  if (options.matching && (options.matching_exclusive !== undefined || options.matching_threshold !== undefined)) {
    throw new UserInputError("pyannote identify: give matching: {exclusive, threshold} or matching_exclusive/matching_threshold, not both");
  }
  const matching = dropUndefined({ exclusive, threshold });
  return Object.keys(matching).length > 0 ? matching : undefined;
}

/** Why a voiceprint label is refused, or undefined when the vendor accepts it. */
export function voiceprintLabelProblem(label: string | undefined): string | undefined {
  if (!label) return 'pyannote voiceprint needs a label: it names the stored voiceprint (e.g. label: "alice")';
  if (label.length > MAX_LABEL_CHARS) return `the voiceprint label must be at most ${MAX_LABEL_CHARS} characters (got ${label.length})`;
  // The vendor reserves "speaker_…" for its own diarization labels.
  if (label.toLowerCase().startsWith("speaker_")) return 'the voiceprint label must not start with "speaker_" (pyannoteAI reserves it for diarized speakers)';
  return undefined;
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

// Realistic Hume batch prediction payloads from a seeded PRNG, in the documented wire format.
// Used by the loopback fake in tests and by the bench (which runs from dist, so this lives in
// src; package.json's "files" leaves it out of the npm package with the bench). Scores drift
// smoothly over time, so arcs, peaks and per-speaker figures mean something.

import { seededRandom } from "../../bench/seeded-random.js";

// Re-exported for the bench and the Hume fake, which have always taken it from here.
export { seededRandom };

export const HUME_EXPRESSION_NAMES = [
  "Admiration", "Adoration", "Aesthetic Appreciation", "Amusement", "Anger", "Anxiety", "Awe", "Awkwardness",
  "Boredom", "Calmness", "Concentration", "Confusion", "Contemplation", "Contempt", "Contentment", "Craving",
  "Desire", "Determination", "Disappointment", "Disgust", "Distress", "Doubt", "Ecstasy", "Embarrassment",
  "Empathic Pain", "Entrancement", "Envy", "Excitement", "Fear", "Guilt", "Horror", "Interest", "Joy", "Love",
  "Nostalgia", "Pain", "Pride", "Realization", "Relief", "Romance", "Sadness", "Satisfaction", "Shame",
  "Surprise (negative)", "Surprise (positive)", "Sympathy", "Tiredness", "Triumph",
] as const;

/** Language adds five names (which five is uncertain in the public docs; these are reported). */
export const HUME_LANGUAGE_EXTRA_NAMES = ["Annoyance", "Disapproval", "Enthusiasm", "Gratitude", "Sarcasm"] as const;

const FACS_NAMES = ["AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU10", "AU12", "AU14", "AU15", "AU17", "AU20", "AU24", "AU25", "AU26"];
const FACE_DESCRIPTIONS = ["Smiling", "Frowning", "Eyes closed", "Looking away", "Raised eyebrows", "Neutral"];
const BURST_DESCRIPTIONS = ["Laughter", "Sigh", "Gasp", "Cough", "Hum", "Groan"];
const TOXICITY_NAMES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"];
const WORDS = [
  "we", "should", "really", "think", "about", "the", "project", "launch", "next", "week", "and", "I", "am", "happy",
  "worried", "that", "budget", "is", "tight", "but", "team", "did", "great", "work", "honestly", "this", "feels",
  "amazing", "terrible", "maybe", "later", "customers", "love", "it", "so", "far", "yes", "no", "thanks", "everyone",
];
const ENTITIES: Array<[string, string]> = [
  ["Paris", "https://www.wikidata.org/wiki/Q90"],
  ["Acme Corp", "https://www.wikidata.org/wiki/Q1"],
  ["Maria Lopez", "https://www.wikidata.org/wiki/Q2"],
  ["Berlin", "https://www.wikidata.org/wiki/Q64"],
  ["Hume", "https://www.wikidata.org/wiki/Q3"],
];

export interface GeneratedFileSpec {
  source: { type: "url"; url: string } | { type: "file"; filename: string; content_type?: string } | { type: "text" };
  /** The `file` of the prediction; defaults from the source. */
  file?: string;
  /** An archive: one prediction per inner file, all under this one source. */
  archiveFiles?: string[];
  /** Seconds of media (ignored for text sources). */
  durationS?: number;
  /** The whole source failed (e.g. the URL could not be downloaded). */
  error?: string;
  /** Extra per-file errors reported next to the predictions (files inside an archive). */
  fileErrors?: Array<{ file: string; message: string }>;
  models?: GeneratedModels;
}

export interface GeneratedModels {
  face?: { fps?: number; groups?: number; facs?: boolean; descriptions?: boolean };
  prosody?: { speakers?: number; utteranceS?: number };
  burst?: { count?: number };
  language?: { granularity?: "word" | "sentence"; speakers?: number; sentiment?: boolean; toxicity?: boolean; text?: string };
  ner?: { mentions?: number };
  facemesh?: { count?: number };
}

/** Smoothly drifting scores: a baseline per name plus two slow waves with random phases. */
class ScoreField {
  private readonly base: number[];
  private readonly waves: Array<[number, number, number, number]>;
  constructor(
    readonly names: readonly string[],
    private readonly random: () => number,
  ) {
    this.base = names.map(() => 0.02 + random() * 0.12);
    this.waves = names.map(() => [0.05 + random() * 0.35, 60 + random() * 840, random() * 6.283, 20 + random() * 200]);
  }
  at(timeS: number, noise = 0.03): Array<{ name: string; score: number }> {
    return this.names.map((name, index) => {
      const [amplitude, period, phase, shortPeriod] = this.waves[index]!;
      const slow = Math.sin((timeS / period) * 6.283 + phase);
      const fast = Math.sin((timeS / shortPeriod) * 6.283 + phase * 2) * 0.3;
      const value = this.base[index]! + amplitude * Math.max(0, slow + fast) + (this.random() - 0.5) * 2 * noise;
      return { name, score: Math.min(1, Math.max(0, value)) };
    });
  }
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function defaultFileName(spec: GeneratedFileSpec, index: number): string {
  switch (spec.source.type) {
    case "url":
      return spec.source.url.split("/").pop() || `file-${index + 1}`;
    case "file":
      return spec.source.filename;
    case "text":
      return "text";
  }
}

/** The body of GET /v0/batch/jobs/{id}/predictions for the given files. */
export function generateHumePredictions(files: GeneratedFileSpec[], seed = 1): unknown[] {
  const random = seededRandom(seed);
  return files.map((spec, index) => {
    if (spec.error) return { source: spec.source, error: spec.error };
    const files = spec.archiveFiles ?? [spec.file ?? defaultFileName(spec, index)];
    return {
      source: spec.source,
      results: { predictions: files.map((file) => ({ file, models: generateModels(random, spec) })), errors: spec.fileErrors ?? [] },
    };
  });
}

function generateModels(random: () => number, spec: GeneratedFileSpec): Record<string, unknown> {
  const models: Record<string, unknown> = {};
  const duration = spec.source.type === "text" ? 0 : (spec.durationS ?? 60);
  const wanted = spec.models ?? { face: {}, prosody: {}, language: {} };
  if (wanted.face && duration > 0) models.face = generateFace(random, duration, wanted.face);
  if (wanted.prosody && duration > 0) models.prosody = generateProsody(random, duration, wanted.prosody);
  if (wanted.burst && duration > 0) models.burst = generateBurst(random, duration, wanted.burst);
  if (wanted.language) models.language = generateLanguage(random, duration, wanted.language);
  if (wanted.ner) models.ner = generateNer(random, duration, wanted.ner);
  if (wanted.facemesh) models.facemesh = generateFacemesh(random, wanted.facemesh);
  return models;
}

function generateFace(random: () => number, duration: number, options: NonNullable<GeneratedModels["face"]>) {
  const fps = options.fps ?? 3;
  const groupCount = options.groups ?? 1;
  const grouped = [];
  for (let group = 0; group < groupCount; group++) {
    const field = new ScoreField(HUME_EXPRESSION_NAMES, random);
    const facs = options.facs ? new ScoreField(FACS_NAMES, random) : undefined;
    const descriptions = options.descriptions ? new ScoreField(FACE_DESCRIPTIONS, random) : undefined;
    const predictions = [];
    // Extra faces appear only in part of the video, so group spans differ.
    const start = group === 0 ? 0 : duration * (0.1 + 0.2 * random());
    const end = group === 0 ? duration : Math.min(duration, start + duration * 0.5);
    const firstFrame = Math.ceil(start * fps);
    for (let frame = firstFrame; frame / fps < end; frame++) {
      const time = frame / fps;
      predictions.push({
        frame: frame * 10,
        time,
        prob: 0.99 + random() * 0.01,
        box: { x: 100 + random() * 5, y: 80 + random() * 5, w: 120, h: 150 },
        emotions: field.at(time),
        ...(facs ? { facs: facs.at(time) } : {}),
        ...(descriptions ? { descriptions: descriptions.at(time) } : {}),
      });
    }
    grouped.push({ id: groupCount === 1 ? "unknown" : `face_${group}`, predictions });
  }
  return { metadata: null, grouped_predictions: grouped };
}

function sentence(random: () => number, words: number): string {
  const parts: string[] = [];
  for (let index = 0; index < words; index++) parts.push(pick(random, WORDS));
  return parts.join(" ") + ".";
}

function speakerIds(count: number | undefined): string[] {
  if (!count || count <= 1) return ["unknown"];
  return Array.from({ length: count }, (_, index) => `spk_${index}`);
}

function generateProsody(random: () => number, duration: number, options: NonNullable<GeneratedModels["prosody"]>) {
  const speakers = speakerIds(options.speakers);
  const fields = new Map(speakers.map((id) => [id, new ScoreField(HUME_EXPRESSION_NAMES, random)]));
  const bySpeaker = new Map<string, unknown[]>(speakers.map((id) => [id, []]));
  const average = options.utteranceS ?? 4;
  let time = random() * 0.5;
  while (time < duration - 0.5) {
    const length = Math.min(duration - time, average * (0.4 + random() * 1.2));
    const speaker = pick(random, speakers);
    bySpeaker.get(speaker)!.push({
      text: sentence(random, Math.max(2, Math.round(length * 2.5))),
      time: { begin: time, end: time + length },
      confidence: 0.8 + random() * 0.2,
      speaker_confidence: speakers.length > 1 ? 0.6 + random() * 0.4 : null,
      emotions: fields.get(speaker)!.at(time + length / 2, 0.05),
    });
    time += length + random() * 0.6;
  }
  return {
    metadata: { confidence: 0.93, detected_language: "en" },
    grouped_predictions: speakers.map((id) => ({ id, predictions: bySpeaker.get(id)! })),
  };
}

function generateBurst(random: () => number, duration: number, options: NonNullable<GeneratedModels["burst"]>) {
  const count = options.count ?? Math.max(1, Math.round(duration / 60));
  const field = new ScoreField(HUME_EXPRESSION_NAMES, random);
  const descriptions = new ScoreField(BURST_DESCRIPTIONS, random);
  const predictions = [];
  for (let index = 0; index < count; index++) {
    const begin = ((index + random() * 0.8) / count) * duration;
    const end = Math.min(duration, begin + 0.3 + random() * 1.5);
    predictions.push({ time: { begin, end }, emotions: field.at(begin, 0.08), descriptions: descriptions.at(begin, 0.1) });
  }
  return { metadata: null, grouped_predictions: [{ id: "unknown", predictions }] };
}

function generateLanguage(random: () => number, duration: number, options: NonNullable<GeneratedModels["language"]>) {
  const names = [...HUME_EXPRESSION_NAMES, ...HUME_LANGUAGE_EXTRA_NAMES].sort();
  const speakers = speakerIds(options.speakers);
  const field = new ScoreField(names, random);
  const sentiment = new ScoreField(["1", "2", "3", "4", "5", "6", "7", "8", "9"], random);
  const toxicity = new ScoreField(TOXICITY_NAMES, random);
  const bySpeaker = new Map<string, unknown[]>(speakers.map((id) => [id, []]));
  const timed = duration > 0;
  const units: string[] = [];
  if (options.text) {
    units.push(...(options.granularity === "sentence" ? options.text.split(/(?<=[.!?])\s+/) : options.text.split(/\s+/)));
  } else {
    const count = timed ? Math.round(duration * (options.granularity === "sentence" ? 0.25 : 2.5)) : 40;
    for (let index = 0; index < count; index++) {
      units.push(options.granularity === "sentence" ? sentence(random, 8 + Math.floor(random() * 8)) : pick(random, WORDS));
    }
  }
  let position = 0;
  units.forEach((text, index) => {
    const begin = timed ? (index / units.length) * duration : undefined;
    const end = timed ? ((index + 0.9) / units.length) * duration : undefined;
    const at = begin ?? index;
    // A few words come out toxic, so flags exist to be found.
    const toxicScores = toxicity.at(at, 0.02).map((entry) => ({ name: entry.name, score: entry.score * 0.3 }));
    if (random() < 0.004) toxicScores[0]!.score = 0.6 + random() * 0.4;
    bySpeaker.get(speakers[index % speakers.length]!)!.push({
      text,
      position: { begin: position, end: position + text.length },
      ...(timed ? { time: { begin, end } } : {}),
      confidence: 0.9,
      speaker_confidence: null,
      emotions: field.at(at, 0.05),
      ...(options.sentiment !== false ? { sentiment: sentiment.at(at, 0.05) } : {}),
      ...(options.toxicity !== false ? { toxicity: toxicScores } : {}),
    });
    position += text.length + 1;
  });
  return {
    metadata: timed ? { confidence: 0.92, detected_language: "en" } : null,
    grouped_predictions: speakers.map((id) => ({ id, predictions: bySpeaker.get(id)! })),
  };
}

function generateNer(random: () => number, duration: number, options: NonNullable<GeneratedModels["ner"]>) {
  const count = options.mentions ?? 12;
  const field = new ScoreField([...HUME_EXPRESSION_NAMES, ...HUME_LANGUAGE_EXTRA_NAMES].sort(), random);
  const predictions = [];
  for (let index = 0; index < count; index++) {
    // Skewed choice so counts differ: the first entity is mentioned most.
    const [entity, uri] = ENTITIES[Math.min(ENTITIES.length - 1, Math.floor(random() * random() * ENTITIES.length))]!;
    const begin = duration > 0 ? ((index + 0.5) / count) * duration : undefined;
    predictions.push({
      entity,
      position: { begin: index * 40, end: index * 40 + entity.length },
      entity_confidence: 0.7 + random() * 0.3,
      support: 0.5 + random() * 0.5,
      uri,
      link_word: entity,
      ...(begin !== undefined ? { time: { begin, end: begin + 0.6 } } : {}),
      emotions: field.at(index, 0.05),
    });
  }
  return { metadata: null, grouped_predictions: [{ id: "unknown", predictions }] };
}

function generateFacemesh(random: () => number, options: NonNullable<GeneratedModels["facemesh"]>) {
  const field = new ScoreField(HUME_EXPRESSION_NAMES, random);
  const predictions = Array.from({ length: options.count ?? 5 }, (_, index) => ({ emotions: field.at(index * 10) }));
  return { metadata: null, grouped_predictions: [{ id: "unknown", predictions }] };
}

/** The workload the bench and the scale test use: an hour of video, face at 3 fps, speech, words. */
export function oneHourVideoSpec(): GeneratedFileSpec[] {
  return [
    {
      source: { type: "url", url: "https://media.example.com/all-hands-1h.mp4" },
      durationS: 3_600,
      models: { face: { fps: 3 }, prosody: { speakers: 3 }, burst: {}, language: { granularity: "word" }, ner: { mentions: 60 } },
    },
  ];
}

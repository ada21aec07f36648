// Hume results → CondensedView: filters (file, model, speaker, window, top_k, view), then one
// section per file and model, summary first. Reads only the compact index (hume-index.ts).

import { describeWindow, formatCount, formatDuration, sanitizeVendorText } from "../../condense/format.js";
import type { CondensedView, DetailSection, PredictionQuery } from "../../condense/view.js";
import { UserInputError } from "../../errors.js";
import type { CondenseInput } from "../provider.js";
import { HUME_MODEL_NAMES, type HumeModelName } from "./hume-api.js";
import { condenseFace } from "./hume-condense-face.js";
import { condenseFacemesh, condenseLanguage, condenseNer } from "./hume-condense-language.js";
import { HUME_VIEWS, type HumeView, type ModelContext, type ModelView } from "./hume-condense-model.js";
import { condenseSegments } from "./hume-condense-segments.js";
import { asHumeIndex, presentModels, type HumeFileIndex, type HumeIndex } from "./hume-index.js";

const MAX_FIGURE_FILES = 10;

export function condenseHumeResults(input: CondenseInput): CondensedView {
  return condenseHumeIndex(asHumeIndex(input.index), input.query);
}

function parseView(view: string | undefined): HumeView {
  if (view === undefined) return "summary";
  if ((HUME_VIEWS as readonly string[]).includes(view)) return view as HumeView;
  throw new UserInputError(`view "${view}" is not one of Hume's views: ${HUME_VIEWS.join(", ")}`);
}

/** `file` may be a 0-based index, an exact name/URL, or a unique part of one. */
export function selectFiles(files: HumeFileIndex[], file: string | undefined): Array<{ file: HumeFileIndex; position: number }> {
  const all = files.map((entry, position) => ({ file: entry, position }));
  if (file === undefined) return all;
  const wanted = file.trim();
  if (/^\d+$/.test(wanted)) {
    const entry = all[Number(wanted)];
    if (entry) return [entry];
  }
  const exact = all.filter(({ file: entry }) => entry.label === wanted || entry.source === wanted || entry.source.endsWith(` ${wanted}`));
  if (exact.length > 0) return exact;
  const lower = wanted.toLowerCase();
  const partial = all.filter(({ file: entry }) => entry.label.toLowerCase().includes(lower) || entry.source.toLowerCase().includes(lower));
  if (partial.length > 0) return partial;
  const known = all.slice(0, 10).map(({ file: entry, position }) => `${position}: ${sanitizeVendorText(entry.label, 80)}`);
  throw new UserInputError(
    `file "${sanitizeVendorText(wanted, 80)}" matches none of this job's ${all.length} files; pass a 0-based index, a name or a URL: ${known.join("; ")}${all.length > 10 ? "; …" : ""}`,
  );
}

function parseModel(model: string | undefined, available: Set<HumeModelName>): HumeModelName | undefined {
  if (model === undefined) return undefined;
  const wanted = model.trim().toLowerCase();
  if (!(HUME_MODEL_NAMES as readonly string[]).includes(wanted)) {
    throw new UserInputError(`model "${sanitizeVendorText(model, 40)}" is not a Hume model; use one of: ${HUME_MODEL_NAMES.join(", ")}`);
  }
  if (!available.has(wanted as HumeModelName)) {
    throw new UserInputError(
      `this job has no ${wanted} predictions${available.size > 0 ? `; it has: ${[...available].join(", ")}` : ""}`,
    );
  }
  return wanted as HumeModelName;
}

function groupIds(file: HumeFileIndex, models: HumeModelName[]): string[] {
  const ids: string[] = [];
  for (const model of models) {
    if (model === "ner") ids.push(...(file.models.ner ?? []).map((mention) => mention.group));
    else ids.push(...(file.models[model] ?? []).map((group) => group.id));
  }
  return ids;
}

export function condenseHumeIndex(index: HumeIndex, query: PredictionQuery): CondensedView {
  const view = parseView(query.view);
  const selected = selectFiles(index.files, query.file);
  const available = new Set<HumeModelName>();
  for (const { file } of selected) for (const model of presentModels(file.models)) available.add(model);
  const onlyModel = parseModel(query.model, available);
  const modelsOf = (file: HumeFileIndex) => presentModels(file.models).filter((model) => !onlyModel || model === onlyModel);

  let speaker: string | undefined;
  if (query.speaker !== undefined) {
    speaker = query.speaker.trim().toLowerCase();
    const ids = new Set(selected.flatMap(({ file }) => groupIds(file, modelsOf(file))));
    if (![...ids].some((id) => id.toLowerCase() === speaker)) {
      const named = [...ids].filter((id) => id !== "unknown");
      throw new UserInputError(
        named.length > 0
          ? `speaker "${sanitizeVendorText(query.speaker, 60)}" is not in these results; speakers and face groups: ${named.slice(0, 20).join(", ")}`
          : `these results have no identified speakers or faces (start the job with identify_speakers / identify_faces to get them)`,
      );
    }
  }
  if (query.start_s !== undefined && query.end_s !== undefined && query.end_s <= query.start_s) {
    throw new UserInputError("end_s must be greater than start_s");
  }

  const multiFile = index.files.length > 1;
  const summary: string[] = [];
  const sections: DetailSection[] = [];
  const notes: string[] = [];
  const fileFigures: Array<Record<string, unknown>> = [];
  let endS = 0;
  let failed = 0;

  for (const { file, position } of selected) {
    const fileHeading = multiFile ? `file ${position}: ${sanitizeVendorText(file.label, 100)}` : "";
    if (file.error) {
      failed++;
      summary.push(`${fileHeading || sanitizeVendorText(file.label, 100)}: failed — ${sanitizeVendorText(file.error, 200)}`);
      fileFigures.push({ file: sanitizeVendorText(file.label, 100), error: sanitizeVendorText(file.error, 200) });
      continue;
    }
    const models = modelsOf(file);
    const indent = multiFile ? "  " : "";
    if (multiFile) summary.push(`${fileHeading}${file.detectedLanguage ? ` (language ${sanitizeVendorText(file.detectedLanguage, 20)})` : ""}`);
    else if (file.detectedLanguage) summary.push(`detected language: ${sanitizeVendorText(file.detectedLanguage, 20)}`);
    if (models.length === 0) summary.push(`${indent}no predictions${onlyModel ? ` from ${onlyModel}` : ""}`);
    const context: ModelContext = {
      fileHeading,
      topK: Math.max(1, Math.min(50, Math.floor(query.top_k) || 5)),
      from: query.start_s,
      to: query.end_s,
      speaker,
      view,
      frameStepS: index.frameStepS,
      languageGranularity: index.languageGranularity,
    };
    const figures: Record<string, unknown> = { file: sanitizeVendorText(file.label, 100) };
    for (const model of models) {
      const modelView = condenseModel(file, model, context);
      if (!modelView) continue;
      summary.push(...modelView.summary.map((line) => indent + line));
      sections.push(...modelView.sections);
      for (const note of modelView.notes) if (!notes.includes(note)) notes.push(note);
      figures[model] = modelView.figures;
      endS = Math.max(endS, modelView.endS ?? 0);
    }
    fileFigures.push(figures);
  }

  const allModels = [...new Set(selected.flatMap(({ file }) => modelsOf(file)))];
  const fileWord = `${formatCount(index.files.length)} file${index.files.length === 1 ? "" : "s"}`;
  const about = [
    `Hume expression measurement: ${fileWord}${failed > 0 ? ` (${failed} failed)` : ""}; models: ${allModels.join(", ") || "none"}${endS > 0 ? `; media up to ${formatDuration(endS)}` : ""}`,
  ];

  const filters = [
    query.file !== undefined ? `file ${sanitizeVendorText(query.file, 60)} (${selected.length} of ${index.files.length})` : undefined,
    onlyModel ? `model ${onlyModel}` : undefined,
    speaker ? `speaker ${sanitizeVendorText(query.speaker ?? "", 60)}` : undefined,
    describeWindow(query.start_s, query.end_s),
  ].filter(Boolean);
  if (filters.length > 0) notes.unshift(`filtered: ${filters.join(", ")}`);
  notes.push(
    "scores are means weighted by duration (face: each frame until the next, at most one frame step; prosody/burst: segment length; language: each unit equally); ties broken by name",
  );
  notes.push(otherViewsNote(view));
  if (multiFile && query.file === undefined) notes.push(`file=<0-based index, name or URL> shows one file of ${fileWord}`);
  notes.push(...index.notes);

  return {
    about,
    summary,
    sections,
    notes,
    figures: {
      files: index.files.length,
      failed_files: failed,
      view,
      by_file: fileFigures.slice(0, MAX_FIGURE_FILES),
    },
  };
}

function otherViewsNote(view: HumeView): string {
  const descriptions: Record<HumeView, string> = {
    summary: "summary (figures, toxicity flags, entities, bursts)",
    timeline: "timeline (every frame, utterance, burst and word in time order)",
    arc: "arc (the emotional arc in time buckets)",
  };
  return `other views: ${HUME_VIEWS.filter((name) => name !== view)
    .map((name) => descriptions[name])
    .join("; ")}; narrow with model, speaker, start_s/end_s`;
}

function condenseModel(file: HumeFileIndex, model: HumeModelName, context: ModelContext): ModelView | undefined {
  switch (model) {
    case "face":
      return file.models.face ? condenseFace(file.models.face, context) : undefined;
    case "prosody":
      return file.models.prosody ? condenseSegments("prosody", file.models.prosody, context) : undefined;
    case "burst":
      return file.models.burst ? condenseSegments("burst", file.models.burst, context) : undefined;
    case "language":
      return file.models.language ? condenseLanguage(file.models.language, context) : undefined;
    case "ner":
      return file.models.ner ? condenseNer(file.models.ner, context) : undefined;
    case "facemesh":
      return file.models.facemesh ? condenseFacemesh(file.models.facemesh, context) : undefined;
  }
}

// image_expression results → CondensedView: a summary across images (top expressions and
// descriptions by mean over the measured faces, a name absent from a face counting 0), then
// one row per face with its box, confidence, top expressions and descriptions.

import { formatScore, sanitizeVendorText, topK } from "../../condense/format.js";
import type { CondensedView } from "../../condense/view.js";
import { UserInputError } from "../../errors.js";
import type { CondenseInput } from "../provider.js";
import type { CloudImageFaceIndex, CloudImageIndex, IndexedScore } from "./hume-cloud-index.js";

export const CLOUD_IMAGE_VIEWS = ["summary"] as const;

interface Ranked {
  name: string;
  score: number;
}

function meanOver(faces: CloudImageFaceIndex[], key: "e" | "d", names: string[], k: number): Ranked[] {
  const measured = faces.filter((face) => face[key] !== null);
  if (measured.length === 0) return [];
  const sums = new Float64Array(names.length);
  for (const face of measured) for (const [position, probability] of face[key]!) sums[position]! += probability;
  const ranked: Ranked[] = [];
  sums.forEach((sum, position) => {
    if (sum > 0) ranked.push({ name: names[position]!, score: sum / measured.length });
  });
  return topK(ranked, k);
}

function scoresOf(scores: IndexedScore[], names: string[], k: number): string {
  const ranked = topK(
    scores.map(([position, probability]) => ({ name: names[position]!, score: probability })),
    k,
  );
  return ranked.length > 0 ? ranked.map((entry) => `${sanitizeVendorText(entry.name, 40)} ${formatScore(entry.score)}`).join(", ") : "none above Hume's cut-off";
}

function list(scores: Ranked[]): string {
  return scores.length > 0 ? scores.map((entry) => `${sanitizeVendorText(entry.name, 40)} ${formatScore(entry.score)}`).join(", ") : "none";
}

function selectImages(index: CloudImageIndex, file: string | undefined): Array<{ position: number; image: CloudImageIndex["images"][number] }> {
  const all = index.images.map((image, position) => ({ position, image }));
  if (file === undefined) return all;
  const wanted = file.trim();
  if (/^\d+$/.test(wanted) && all[Number(wanted)]) return [all[Number(wanted)]!];
  const matches = all.filter(({ image }) => image.name === wanted || image.name.toLowerCase().includes(wanted.toLowerCase()));
  if (matches.length > 0) return matches;
  throw new UserInputError(
    `file "${sanitizeVendorText(wanted, 60)}" matches none of this job's ${all.length} images; pass a 0-based index or a name: ${all
      .slice(0, 10)
      .map(({ position, image }) => `${position}: ${sanitizeVendorText(image.name, 60)}`)
      .join("; ")}`,
  );
}

export function condenseCloudImages(input: CondenseInput): CondensedView {
  const index = input.index as CloudImageIndex | undefined;
  if (!index || index.kind !== "hume-cloud-images") throw new UserInputError("this job's stored result is not an image_expression result");
  if (input.query.view !== undefined && input.query.view !== "summary") {
    throw new UserInputError(`view "${input.query.view}" is not one of image_expression's views: ${CLOUD_IMAGE_VIEWS.join(", ")}`);
  }
  const k = Math.max(1, input.query.top_k);
  const rowK = Math.min(k, 3);
  const selected = selectImages(index, input.query.file);
  const faces = selected.flatMap(({ image }) => image.faces);
  const measured = faces.filter((face) => face.e !== null);
  const withoutFaces = selected.filter(({ image }) => image.faces.length === 0);
  const topExpressions = meanOver(measured, "e", index.expressionNames, k);
  const topDescriptions = meanOver(measured, "d", index.descriptionNames, k);

  const summary = [
    `${selected.length} image${selected.length === 1 ? "" : "s"}: ${faces.length} face${faces.length === 1 ? "" : "s"} detected, ${measured.length} measured (Hume measures the largest faces of each image; the rest are listed without scores).`,
  ];
  if (measured.length > 0) {
    summary.push(`Top expressions across measured faces (mean over ${measured.length}; a name below Hume's cut-off counts 0): ${list(topExpressions)}`);
    summary.push(`Top descriptions (facial actions): ${list(topDescriptions)}`);
  }
  if (withoutFaces.length > 0) {
    summary.push(`No face found in: ${withoutFaces.slice(0, 10).map(({ position, image }) => `${position} ${sanitizeVendorText(image.name, 40)}`).join(", ")}${withoutFaces.length > 10 ? ", …" : ""}`);
  }
  const rows: string[] = [];
  for (const { position, image } of selected) {
    const label = `image ${position} (${sanitizeVendorText(image.name, 60)})`;
    if (image.faces.length === 0) {
      rows.push(`${label}: no face`);
      continue;
    }
    image.faces.forEach((face, faceNumber) => {
      const where = [
        face.faceId !== null ? `id ${sanitizeVendorText(face.faceId, 20)}` : undefined,
        face.box ? `box ${face.box.map((value) => Math.round(value)).join(",")} (x,y,w,h)` : undefined,
        face.confidence !== null ? `confidence ${formatScore(face.confidence)}` : undefined,
      ]
        .filter(Boolean)
        .join(", ");
      const scores = face.e === null ? "detected, not measured (beyond the largest faces)" : `${scoresOf(face.e, index.expressionNames, rowK)} | descriptions: ${scoresOf(face.d ?? [], index.descriptionNames, rowK)}`;
      rows.push(`${label} face ${faceNumber + 1}${where ? ` [${where}]` : ""}: ${scores}`);
    });
  }
  return {
    about: [`Hume Expression Measurement, current API (image_expression): ${index.images.length} JPEG image${index.images.length === 1 ? "" : "s"}.`],
    summary,
    sections: [{ heading: "Faces (per image, largest measured first: top expressions | descriptions)", rows }],
    notes: ["file narrows to one image (0-based index or name); top_k sets how many names the summary ranks"],
    figures: {
      images: selected.length,
      faces: faces.length,
      measured_faces: measured.length,
      top_expressions: topExpressions.map((entry) => ({ name: entry.name, mean: Math.round(entry.score * 10_000) / 10_000 })),
    },
  };
}

// Provenance index → condensed view: verdict and origin counts first, then the most
// suspicious tracks, then failed items. Pure: reads only the columnar index.

import { formatCount, formatScore, sanitizeVendorText } from "../../condense/format.js";
import type { CondensedView, PredictionQuery } from "../../condense/view.js";
import { UserInputError } from "../../errors.js";
import type { Job } from "../../jobs/job.js";
import { LOW_RELIABILITY_BELOW, type ProvenanceIndex, type VerdictClass } from "./humanstandard-results-index.js";

export const HUMANSTANDARD_VIEWS = ["tracks", "failed", "summary"] as const;
const VERDICTS: readonly VerdictClass[] = ["human", "suspicious", "failed", "unknown"];
const VERDICT_BY_LETTER: Record<string, VerdictClass> = { h: "human", s: "suspicious", u: "unknown" };
const TIER_WORD: Record<string, string> = { h: "human", s: "suspicious", "-": "–" };

export function condenseHumanStandard(job: Job, index: ProvenanceIndex, query: PredictionQuery): CondensedView {
  const view = query.view ?? "tracks";
  if (!(HUMANSTANDARD_VIEWS as readonly string[]).includes(view)) {
    throw new UserInputError(`view "${view}" does not exist for HumanStandard provenance; use one of: ${HUMANSTANDARD_VIEWS.join(", ")}`);
  }
  const verdictFilter = query.verdict?.trim().toLowerCase();
  if (verdictFilter !== undefined && !VERDICTS.includes(verdictFilter as VerdictClass)) {
    throw new UserInputError(`verdict must be one of: ${VERDICTS.join(", ")}`);
  }
  const originFilter = query.origin?.trim().toLowerCase();
  const originCode = originFilter === undefined ? undefined : index.originNames.indexOf(originFilter);

  const { tracks } = index;
  const trackCount = tracks.id.length;
  const total = index.records;
  const notes: string[] = [];
  const summary: string[] = [];

  summary.push(
    `Verdicts: ${formatCount(index.verdicts.suspicious)} suspicious, ${formatCount(index.verdicts.human)} human, ${formatCount(index.verdicts.failed)} failed, ${formatCount(index.verdicts.unknown)} unknown (of ${formatCount(total)} tracks)`,
  );
  const origins = Object.entries(index.origins);
  if (origins.length > 0) summary.push(`Origins: ${origins.map(([name, count]) => `${name} ${formatCount(count)}`).join(", ")}`);
  const topSuspicious: string[] = [];
  for (let position = 0; position < trackCount && topSuspicious.length < query.top_k; position++) {
    if (tracks.verdict[position] === "s") topSuspicious.push(`${tracks.id[position]} (${formatTruth(tracks.truth[position])}${originLabel(index, position)})`);
  }
  if (topSuspicious.length > 0) summary.push(`Most suspicious: ${topSuspicious.join(", ")}`);
  if (index.lowReliability > 0) {
    summary.push(`Low reliability (< ${LOW_RELIABILITY_BELOW}): ${formatCount(index.lowReliability)} tracks — treat their verdicts with caution`);
  }

  // Track rows, in index order (already most suspicious first).
  const trackRows: string[] = [];
  const showTracks = view === "tracks" && verdictFilter !== "failed";
  if (showTracks) {
    const wantedLetter = verdictFilter === undefined ? undefined : verdictFilter[0];
    for (let position = 0; position < trackCount; position++) {
      if (wantedLetter !== undefined && tracks.verdict[position] !== wantedLetter) continue;
      if (originCode !== undefined && tracks.origin[position] !== originCode) continue;
      trackRows.push(trackRow(index, position));
    }
  }
  const failedRows: string[] = [];
  const showFailed = (view === "tracks" || view === "failed") && (verdictFilter === undefined || verdictFilter === "failed") && originFilter === undefined;
  if (showFailed) {
    index.failed.id.forEach((id, position) => failedRows.push(`${id}: ${index.reasons[index.failed.reason[position]!] ?? "no reason given"}`));
  }

  const filters: string[] = [];
  if (verdictFilter !== undefined) filters.push(`verdict ${verdictFilter}`);
  if (originFilter !== undefined) filters.push(`origin ${sanitizeVendorText(originFilter, 40)}`);
  if (filters.length > 0) {
    summary.push(`Filter ${filters.join(", ")}: ${formatCount(trackRows.length + failedRows.length)} tracks`);
    if (originCode === -1) {
      notes.push(`no track has origin "${sanitizeVendorText(originFilter!, 40)}"; origins present: ${index.originNames.join(", ") || "none"}`);
    }
    if (originFilter !== undefined && index.failed.id.length > 0) notes.push("failed items have no origin and are left out by the origin filter");
  }
  if (index.malformedLines > 0) notes.push(`${formatCount(index.malformedLines)} result lines from HumanStandard could not be read and were skipped`);
  if (index.duplicateItems > 0) notes.push(`${formatCount(index.duplicateItems)} repeated item_ids were counted once`);
  const expected = job.progress?.total;
  if (expected !== undefined && expected > total) {
    notes.push(`HumanStandard reported ${formatCount(expected)} tracks but returned results for ${formatCount(total)}`);
  }
  if (view === "tracks" && verdictFilter === undefined && originFilter === undefined) {
    notes.push("filter with verdict (suspicious, human, failed, unknown) or origin; view failed lists only failures");
  }

  const sections = [];
  if (showTracks) {
    sections.push({
      heading: "Tracks, most suspicious first (item · truth score 0 human…1 AI · verdict · origin (confidence) · tiers press_safe/human_safe/recall)",
      rows: trackRows,
    });
  }
  if (showFailed && failedRows.length > 0) sections.push({ heading: "Failed items (reason)", rows: failedRows });

  return {
    about: [`AI-music provenance scan by HumanStandard of ${formatCount(total)} tracks${job.label ? ` ("${sanitizeVendorText(job.label, 80)}")` : ""}`],
    summary,
    sections,
    notes,
    figures: {
      tracks: total,
      verdicts: index.verdicts,
      origins: index.origins,
      low_reliability: index.lowReliability,
      ...(filters.length > 0 ? { matching: trackRows.length + failedRows.length } : {}),
    },
  };
}

/** Called once per track (50,000 on a large catalog): plain concatenation, no arrays. */
function trackRow(index: ProvenanceIndex, position: number): string {
  const { tracks } = index;
  const verdict = VERDICT_BY_LETTER[tracks.verdict[position]!] ?? "unknown";
  let row = `${tracks.id[position]} · truth ${formatTruth(tracks.truth[position])} · ${verdict}`;
  const origin = originLabel(index, position);
  if (origin) row += ` · origin${origin}`;
  const offset = position * 3;
  const tiers = tracks.tiers;
  if (tiers[offset] !== "-" || tiers[offset + 1] !== "-" || tiers[offset + 2] !== "-") {
    row += ` · tiers ${TIER_WORD[tiers[offset]!] ?? "–"}/${TIER_WORD[tiers[offset + 1]!] ?? "–"}/${TIER_WORD[tiers[offset + 2]!] ?? "–"}`;
  }
  const meta = tracks.meta[String(position)];
  if (meta) row += ` · ${meta[0] ? `"${meta[0]}"` : ""}${meta[0] && meta[1] ? " " : ""}${meta[1] ? `by ${meta[1]}` : ""}`;
  const reliability = tracks.reliability[position];
  if (reliability !== null && reliability !== undefined && reliability < LOW_RELIABILITY_BELOW) row += ` · ⚠ low reliability ${formatScore(reliability)}`;
  return row;
}

function originLabel(index: ProvenanceIndex, position: number): string {
  const code = index.tracks.origin[position]!;
  if (code < 0) return "";
  const confidence = index.tracks.originConfidence[position];
  return ` ${index.originNames[code]}${confidence !== null && confidence !== undefined ? ` ${formatScore(confidence)}` : ""}`;
}

function formatTruth(value: number | null | undefined): string {
  return value === null || value === undefined ? "?" : formatScore(value);
}

// Builds the compact provenance index while HumanStandard's NDJSON results stream in, so a
// 50,000-track catalog is never held as text or as 50,000 keyed objects. The index is
// columnar: one array (or one string, a character per track) per field, tracks ordered most
// suspicious first, repeated strings (origins, failure reasons) stored once in a dictionary.

import { sanitizeVendorText } from "../../condense/format.js";
import { humanStandardRecordSchema, type HumanStandardRecord } from "./humanstandard-api.js";

/** A line longer than this is not a track record; it is skipped (and counted), not buffered. */
const MAX_LINE_BYTES = 1_048_576;
export const LOW_RELIABILITY_BELOW = 0.6;

export type VerdictClass = "human" | "suspicious" | "failed" | "unknown";

/** Tier verdict letters: h = human, s = suspicious, - = none. Order: press_safe, human_safe, recall. */
export const TIER_NAMES = ["press_safe", "human_safe", "recall"] as const;

export interface ProvenanceIndex {
  v: 1;
  /** Records read (valid lines). */
  records: number;
  /** Lines that were not JSON or not a track record. */
  malformedLines: number;
  /** Records that repeated an item_id already seen (kept once). */
  duplicateItems: number;
  verdicts: Record<VerdictClass, number>;
  /** Origin → tracks, over tracks that did not fail. */
  origins: Record<string, number>;
  lowReliability: number;
  /** Tracks that did not fail, most suspicious first (truth score desc, unknown scores last). */
  tracks: {
    id: string[];
    /** Truth score 0 (human) … 1 (AI), 3 decimals; null when not reported. */
    truth: Array<number | null>;
    /** One character per track: h(uman), s(uspicious), u(nknown). */
    verdict: string;
    /** Index into `originNames`; -1 when not reported. */
    origin: number[];
    originConfidence: Array<number | null>;
    /** Three characters per track (see TIER_NAMES). */
    tiers: string;
    reliability: Array<number | null>;
    /** Position → [title, artist], only for tracks whose metadata had them. */
    meta: Record<string, [string | null, string | null]>;
  };
  originNames: string[];
  failed: { id: string[]; reason: number[] };
  reasons: string[];
}

/** Splits a byte stream into lines; a line may span any number of chunks (UTF-8 safe). */
export interface LineSplitter {
  push(chunk: Uint8Array): void;
  /** Emits a last line that had no trailing newline. */
  end(): void;
}

export function createLineSplitter(onLine: (line: string) => void, onOversized: () => void): LineSplitter {
  const decoder = new TextDecoder("utf-8");
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let skipping = false;
  const emit = (tail: Uint8Array) => {
    if (skipping) {
      skipping = false;
      pending = [];
      pendingBytes = 0;
      return;
    }
    // Splitting at the newline byte never cuts a UTF-8 sequence: 0x0A never occurs inside one.
    const bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    onLine(decoder.decode(bytes));
  };
  return {
    push(chunk) {
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf(0x0a, start);
        if (newline < 0) break;
        emit(chunk.subarray(start, newline));
        start = newline + 1;
      }
      if (start < chunk.length && !skipping) {
        const rest = chunk.subarray(start);
        pendingBytes += rest.length;
        if (pendingBytes > MAX_LINE_BYTES) {
          skipping = true;
          pending = [];
          pendingBytes = 0;
          onOversized();
        } else pending.push(Uint8Array.prototype.slice.call(rest));
      }
    },
    end() {
      if (pendingBytes > 0) emit(new Uint8Array(0));
      skipping = false;
    },
  };
}

export interface ProvenanceIndexBuilder {
  /** Feeds one NDJSON line; returns false when it was blank. */
  addLine(line: string): boolean;
  countMalformed(): void;
  /** New (non-duplicate) records and malformed lines read so far. */
  linesRead(): number;
  finish(): ProvenanceIndex;
}

export function createProvenanceIndexBuilder(): ProvenanceIndexBuilder {
  const seen = new Set<string>();
  const ids: string[] = [];
  const truth: number[] = [];
  const verdictCodes: string[] = [];
  const originCodes: number[] = [];
  const originConfidence: number[] = [];
  const tiers: string[] = [];
  const reliability: number[] = [];
  const meta = new Map<number, [string | null, string | null]>();
  const originNames: string[] = [];
  const originLookup = new Map<string, number>();
  const failedIds: string[] = [];
  const failedReasons: number[] = [];
  const reasons: string[] = [];
  const reasonLookup = new Map<string, number>();
  const verdicts: Record<VerdictClass, number> = { human: 0, suspicious: 0, failed: 0, unknown: 0 };
  const originCounts = new Map<string, number>();
  let records = 0;
  let malformedLines = 0;
  let duplicateItems = 0;
  let lowReliability = 0;

  const intern = (value: string, names: string[], lookup: Map<string, number>): number => {
    let code = lookup.get(value);
    if (code === undefined) {
      code = names.length;
      names.push(value);
      lookup.set(value, code);
    }
    return code;
  };

  const add = (record: HumanStandardRecord) => {
    const id = sanitizeVendorText(record.item_id, 120);
    if (seen.has(id)) {
      duplicateItems++;
      return;
    }
    seen.add(id);
    records++;
    if ((record.status ?? "").toLowerCase() === "failed") {
      verdicts.failed++;
      failedIds.push(id);
      failedReasons.push(intern(failureReason(record), reasons, reasonLookup));
      return;
    }
    const verdict = record.verdict === "human" ? "h" : record.verdict === "suspicious" ? "s" : "u";
    verdicts[verdict === "h" ? "human" : verdict === "s" ? "suspicious" : "unknown"]++;
    const origin = record.origin ? sanitizeVendorText(record.origin, 40).toLowerCase() : undefined;
    originCounts.set(origin ?? "unknown", (originCounts.get(origin ?? "unknown") ?? 0) + 1);
    const score = record.scores?.truth_score;
    const trust = record.scores?.reliability;
    if (trust !== null && trust !== undefined && trust < LOW_RELIABILITY_BELOW) lowReliability++;
    const position = ids.length;
    ids.push(id);
    // Ranked on the exact score, stored rounded: rounding first made near ties (0.9898, 0.9904)
    // fall back to item id order, listing a lower-scored track above a higher one.
    truth.push(score === null || score === undefined ? Number.NaN : score);
    verdictCodes.push(verdict);
    originCodes.push(origin === undefined ? -1 : intern(origin, originNames, originLookup));
    originConfidence.push(record.origin_confidence === null || record.origin_confidence === undefined ? Number.NaN : round3(record.origin_confidence));
    tiers.push(TIER_NAMES.map((tier) => tierLetter(record.tier_verdicts?.[tier])).join(""));
    reliability.push(trust === null || trust === undefined ? Number.NaN : round3(trust));
    const title = metadataText(record.metadata, "title");
    const artist = metadataText(record.metadata, "artist");
    if (title !== null || artist !== null) meta.set(position, [title, artist]);
  };

  return {
    addLine(line) {
      const trimmed = line.trim();
      if (!trimmed) return false;
      let decoded: unknown;
      try {
        decoded = JSON.parse(trimmed);
      } catch {
        malformedLines++;
        return true;
      }
      const parsed = humanStandardRecordSchema.safeParse(decoded);
      if (!parsed.success) malformedLines++;
      else add(parsed.data);
      return true;
    },
    countMalformed() {
      malformedLines++;
    },
    linesRead() {
      return records + malformedLines;
    },
    finish() {
      const order = ids.map((_, position) => position);
      order.sort((a, b) => {
        const truthA = truth[a]!;
        const truthB = truth[b]!;
        const knownA = !Number.isNaN(truthA);
        const knownB = !Number.isNaN(truthB);
        if (knownA !== knownB) return knownA ? -1 : 1;
        if (knownA && truthA !== truthB) return truthB - truthA;
        return ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0;
      });
      const orderedMeta: Record<string, [string | null, string | null]> = {};
      order.forEach((from, to) => {
        const entry = meta.get(from);
        if (entry) orderedMeta[String(to)] = entry;
      });
      const nullable = (values: number[]) => order.map((position) => (Number.isNaN(values[position]!) ? null : values[position]!));
      return {
        v: 1,
        records,
        malformedLines,
        duplicateItems,
        verdicts,
        origins: Object.fromEntries([...originCounts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
        lowReliability,
        tracks: {
          id: order.map((position) => ids[position]!),
          truth: nullable(truth).map((value) => (value === null ? null : round3(value))),
          verdict: order.map((position) => verdictCodes[position]!).join(""),
          origin: order.map((position) => originCodes[position]!),
          originConfidence: nullable(originConfidence),
          tiers: order.map((position) => tiers[position]!).join(""),
          reliability: nullable(reliability),
          meta: orderedMeta,
        },
        originNames,
        failed: { id: failedIds, reason: failedReasons },
        reasons,
      };
    },
  };
}

function failureReason(record: HumanStandardRecord): string {
  const error = record.error;
  const text = typeof error === "string" ? error : (error?.message ?? error?.code ?? undefined);
  return text ? sanitizeVendorText(text, 160) : "no reason given";
}

function tierLetter(value: "human" | "suspicious" | null | undefined): string {
  return value === "human" ? "h" : value === "suspicious" ? "s" : "-";
}

function metadataText(metadata: Record<string, unknown> | null | undefined, key: string): string | null {
  const value = metadata?.[key];
  return typeof value === "string" && value.trim() ? sanitizeVendorText(value, 80) : null;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

// The arithmetic the Hume condensers share: weighted means over score-matrix rows, peaks,
// per-row top-k, time buckets. Pure functions over typed arrays; no formatting of whole views.

import { formatScore, formatSpan, topK } from "../../condense/format.js";
import type { ScoreMatrix } from "./hume-index.js";

export interface NamedScore {
  name: string;
  score: number;
}

export interface RankedColumn extends NamedScore {
  column: number;
}

/**
 * Weighted mean of each column over `rows` (indices into the matrix). NaN cells (a row that
 * lacked the name) are skipped, so their weight does not count for that column.
 */
export function weightedColumnMeans(matrix: ScoreMatrix, rows: ArrayLike<number>, weights: ArrayLike<number>): Float64Array {
  const { sums, totals } = weightedColumnSums(matrix, rows, weights);
  for (let column = 0; column < matrix.width; column++) {
    sums[column] = totals[column]! > 0 ? sums[column]! / totals[column]! : Number.NaN;
  }
  return sums;
}

/** Σ weight·score and Σ weight per column, for merging groups whose columns differ. */
export function weightedColumnSums(
  matrix: ScoreMatrix,
  rows: ArrayLike<number>,
  weights: ArrayLike<number>,
): { sums: Float64Array; totals: Float64Array } {
  const { width, data } = matrix;
  const sums = new Float64Array(width);
  const totals = new Float64Array(width);
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    const weight = weights[row]!;
    if (!(weight > 0)) continue;
    const base = row * width;
    for (let column = 0; column < width; column++) {
      const value = data[base + column]!;
      if (value === value) {
        sums[column]! += value * weight;
        totals[column]! += weight;
      }
    }
  }
  return { sums, totals };
}

/** Weighted means merged across groups by name (speakers' matrices may list names differently). */
export class NamedMeanAccumulator {
  private readonly sums = new Map<string, number>();
  private readonly totals = new Map<string, number>();

  add(matrix: ScoreMatrix, rows: ArrayLike<number>, weights: ArrayLike<number>): void {
    const { sums, totals } = weightedColumnSums(matrix, rows, weights);
    matrix.names.forEach((name, column) => {
      if (!(totals[column]! > 0)) return;
      this.sums.set(name, (this.sums.get(name) ?? 0) + sums[column]!);
      this.totals.set(name, (this.totals.get(name) ?? 0) + totals[column]!);
    });
  }

  top(k: number): NamedScore[] {
    const items: NamedScore[] = [];
    for (const [name, sum] of this.sums) items.push({ name, score: sum / this.totals.get(name)! });
    return topK(items, k);
  }

  get empty(): boolean {
    return this.sums.size === 0;
  }
}

/** Top k columns by value, ties broken by name (DESIGN §6); NaN columns are left out. */
export function rankColumns(names: readonly string[], values: ArrayLike<number>, k: number): RankedColumn[] {
  const items: RankedColumn[] = [];
  for (let column = 0; column < names.length; column++) {
    const score = values[column]!;
    if (Number.isFinite(score)) items.push({ name: names[column]!, score, column });
  }
  return topK(items, k);
}

/** The row where `column` is highest among `rows`; the earliest row wins a tie. */
export function columnPeak(matrix: ScoreMatrix, rows: ArrayLike<number>, column: number): { row: number; score: number } | undefined {
  let best: { row: number; score: number } | undefined;
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    const value = matrix.data[row * matrix.width + column]!;
    if (value === value && (best === undefined || value > best.score)) best = { row, score: value };
  }
  return best;
}

/**
 * Name ranks in the same order `topK` breaks ties (localeCompare), computed once per matrix so
 * per-row top-k over thousands of rows avoids string comparisons.
 */
export function nameRanks(names: readonly string[]): Int32Array {
  const order = names.map((name, column) => ({ name, column })).sort((a, b) => a.name.localeCompare(b.name));
  const ranks = new Int32Array(names.length);
  order.forEach((entry, rank) => (ranks[entry.column] = rank));
  return ranks;
}

/** Top k of one row, by selection (k is small), ties broken by name rank. */
export function rowTop(matrix: ScoreMatrix, row: number, k: number, ranks: Int32Array): NamedScore[] {
  const picked: number[] = [];
  const base = row * matrix.width;
  for (let column = 0; column < matrix.width; column++) {
    const value = matrix.data[base + column]!;
    if (value !== value) continue;
    let position = picked.length;
    while (position > 0) {
      const other = picked[position - 1]!;
      const otherValue = matrix.data[base + other]!;
      if (otherValue > value || (otherValue === value && ranks[other]! < ranks[column]!)) break;
      position--;
    }
    if (position < k) {
      picked.splice(position, 0, column);
      if (picked.length > k) picked.pop();
    }
  }
  return picked.map((column) => ({ name: matrix.names[column]!, score: matrix.data[base + column]! }));
}

export function formatScores(scores: readonly NamedScore[]): string {
  return scores.length > 0 ? scores.map((entry) => `${entry.name} ${formatScore(entry.score)}`).join(", ") : "no scores";
}

export interface TimeBucket {
  start: number;
  end: number;
}

const NICE_BUCKET_SECONDS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1_200, 1_800, 3_600, 7_200];

/**
 * About `target` buckets of a round width (1 s … 2 h) covering [from, to]; an emotional arc
 * reads better at "every 5:00" than at "every 4:47.3".
 */
export function arcBuckets(from: number, to: number, target = 12): TimeBucket[] {
  if (!(to > from)) return [{ start: from, end: Math.max(from, to) }];
  const raw = (to - from) / target;
  const width = NICE_BUCKET_SECONDS.find((seconds) => seconds >= raw) ?? Math.ceil(raw / 3_600) * 3_600;
  const buckets: TimeBucket[] = [];
  for (let start = Math.floor(from / width) * width; start < to; start += width) {
    buckets.push({ start, end: start + width });
  }
  return buckets;
}

export function bucketLabel(bucket: TimeBucket): string {
  return formatSpan(bucket.start, bucket.end);
}

/** Row indices whose [begin, end] overlaps the window (all rows when there is no window). */
export function selectRows(
  count: number,
  begin: ArrayLike<number>,
  end: ArrayLike<number>,
  from: number | undefined,
  to: number | undefined,
): Int32Array {
  const selected = new Int32Array(count);
  let used = 0;
  for (let row = 0; row < count; row++) {
    const start = begin[row]!;
    const stop = end[row]!;
    // Rows without a time (text inputs) have no place on a timeline; a window keeps them out.
    if ((from !== undefined || to !== undefined) && !(start === start)) continue;
    if (from !== undefined && stop < from) continue;
    if (to !== undefined && start > to) continue;
    selected[used++] = row;
  }
  return selected.subarray(0, used);
}

/** A mean that ignores NaN; NaN when nothing counted. */
export function mean(values: Iterable<number>): number {
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (value === value) {
      sum += value;
      count++;
    }
  }
  return count > 0 ? sum / count : Number.NaN;
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function toFigures(scores: readonly NamedScore[]): Array<{ name: string; score: number }> {
  return scores.map((entry) => ({ name: entry.name, score: round3(entry.score) }));
}

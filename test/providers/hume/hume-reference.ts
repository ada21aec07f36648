// Straightforward reference arithmetic over the raw Hume payload, written independently of the
// condensers (plain objects, float64, no index), so tests can check what the condensers print.

export interface Scored {
  name: string;
  score: number;
}

type RawPrediction = Record<string, any>;

export function rawGroups(payload: unknown[], fileIndex: number, model: string): Array<{ id: string; predictions: RawPrediction[] }> {
  const entry = payload[fileIndex] as any;
  return entry.results.predictions[0].models[model].grouped_predictions;
}

function ranked(sums: Map<string, number>, totals: Map<string, number>, k: number): Scored[] {
  return [...sums.keys()]
    .map((name) => ({ name, score: sums.get(name)! / totals.get(name)! }))
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name))
    .slice(0, k);
}

function addScores(sums: Map<string, number>, totals: Map<string, number>, scores: Scored[] | undefined, weight: number): void {
  for (const { name, score } of scores ?? []) {
    sums.set(name, (sums.get(name) ?? 0) + score * weight);
    totals.set(name, (totals.get(name) ?? 0) + weight);
  }
}

/** Face: each frame weighted by the gap to the next frame, capped at the frame step. */
export function referenceFace(
  predictions: RawPrediction[],
  k: number,
  step: number,
  window: { from?: number; to?: number } = {},
): Array<Scored & { peak: number; peakTime: number }> {
  const sums = new Map<string, number>();
  const totals = new Map<string, number>();
  const inWindow = (time: number) => (window.from === undefined || time >= window.from) && (window.to === undefined || time <= window.to);
  predictions.forEach((prediction, index) => {
    if (!inWindow(prediction.time)) return;
    const next = predictions[index + 1];
    const weight = next ? Math.min(next.time - prediction.time, step) : step;
    addScores(sums, totals, prediction.emotions, weight);
  });
  return ranked(sums, totals, k).map((entry) => {
    let peak = -1;
    let peakTime = 0;
    for (const prediction of predictions) {
      if (!inWindow(prediction.time)) continue;
      const score = prediction.emotions.find((emotion: Scored) => emotion.name === entry.name)?.score;
      if (score !== undefined && score > peak) {
        peak = score;
        peakTime = prediction.time;
      }
    }
    return { ...entry, peak, peakTime };
  });
}

/** Prosody/burst: each segment weighted by its length. */
export function referenceSegments(groups: Array<{ predictions: RawPrediction[] }>, k: number): Scored[] {
  const sums = new Map<string, number>();
  const totals = new Map<string, number>();
  for (const group of groups) {
    for (const prediction of group.predictions) addScores(sums, totals, prediction.emotions, prediction.time.end - prediction.time.begin);
  }
  return ranked(sums, totals, k);
}

/** Language: each unit counts once. */
export function referenceLanguage(groups: Array<{ predictions: RawPrediction[] }>, k: number): Scored[] {
  const sums = new Map<string, number>();
  const totals = new Map<string, number>();
  for (const group of groups) for (const prediction of group.predictions) addScores(sums, totals, prediction.emotions, 1);
  return ranked(sums, totals, k);
}

export function referenceSentimentMean(groups: Array<{ predictions: RawPrediction[] }>): number {
  const values: number[] = [];
  for (const group of groups) {
    for (const prediction of group.predictions) {
      let weighted = 0;
      let total = 0;
      for (const { name, score } of prediction.sentiment ?? []) {
        weighted += Number(name) * score;
        total += score;
      }
      if (total > 0) values.push(weighted / total);
    }
  }
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** "Joy 0.45, Calmness 0.38" (optionally with "(peak 0.80 at 0:00.0)") → entries. */
export function parseScoreList(text: string): Array<{ name: string; score: number; peak?: number; peakAt?: string }> {
  const entries: Array<{ name: string; score: number; peak?: number; peakAt?: string }> = [];
  const pattern = /([A-Za-z][A-Za-z ()_-]*?[A-Za-z)]) (\d+\.\d\d)(?: \(peak (\d+\.\d\d) at ([\d:.]+)\))?(?=,|$)/g;
  for (const match of text.matchAll(pattern)) {
    entries.push({
      name: match[1]!.trim(),
      score: Number(match[2]),
      ...(match[3] ? { peak: Number(match[3]), peakAt: match[4] } : {}),
    });
  }
  return entries;
}

/** A printed 2-decimal score agrees with an exact value (float32 storage may flip the last digit at a .xx5 boundary). */
export function agrees(printed: number, exact: number): boolean {
  return Math.abs(printed - exact) <= 0.005 + 1e-6;
}

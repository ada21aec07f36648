// The results view: runs in the host's sandboxed iframe, learns the job from the
// get_predictions call the host shows it, pages the rows to draw through the app-only tool
// get_visual_data, and draws them as SVG/DOM marks that carry their times (data-start/data-end).

import { App, applyDocumentTheme, applyHostStyleVariables, type McpUiHostContext } from "@modelcontextprotocol/ext-apps";
import { type Drawing, element, figures, formatTime, percent, seconds, svgElement } from "./draw.js";
import { drawEmotions, drawProvenance, drawTranscript } from "./more-views.js";

type Row = unknown[];
interface VisualPage {
  job_id: string;
  provider: string;
  task: string;
  kind: "acoustics" | "speakers" | "emotions" | "transcript" | "provenance" | "summary";
  duration_s: number | null;
  meta?: Record<string, unknown>;
  tracks: Record<string, Row[]>;
  next_cursor: string | null;
}
interface Loaded {
  page: VisualPage;
  meta: Record<string, unknown>;
  tracks: Record<string, Row[]>;
}

/** An hour of 50 ms F0 points is ~8 pages; this bounds a runaway loop, not real data. */
const MAX_PAGES = 400;
const WIDTH = 900;
const LABEL_W = 110;
const PALETTE = ["#3b7dd8", "#d8643b", "#3bab6f", "#a35bd1", "#c9a227", "#2aa5a5", "#d14f8c", "#7c8a2e"];

const view = document.getElementById("view")!;
const title = document.getElementById("title")!;
const zoomNav = document.getElementById("zoom")!;
const windowLabel = document.getElementById("window")!;
const tip = document.getElementById("tip")!;

let loaded: Loaded | undefined;
let span: [number, number] = [0, 1];
let currentJob: string | undefined;

const app = new App({ name: "media-jobs-results", version: "1.0.0" });
app.ontoolinput = (params) => {
  const jobId = (params.arguments as { job_id?: unknown } | undefined)?.job_id;
  if (typeof jobId === "string") void load(jobId);
};
app.ontoolresult = (params) => {
  const jobId = (params.structuredContent as { job_id?: unknown } | undefined)?.job_id;
  if (typeof jobId === "string") void load(jobId);
};
app.onhostcontextchanged = (context) => applyContext(context);
void app.connect().then(() => applyContext(app.getHostContext()));

function applyContext(context: McpUiHostContext | undefined): void {
  if (!context) return;
  if (context.theme) applyDocumentTheme(context.theme);
  if (context.styles?.variables) applyHostStyleVariables(context.styles.variables);
}

async function load(jobId: string): Promise<void> {
  if (currentJob === jobId) return;
  currentJob = jobId;
  title.textContent = `Loading ${jobId}…`;
  try {
    let first: VisualPage | undefined;
    const tracks: Record<string, Row[]> = {};
    let cursor: string | undefined;
    for (let pageNumber = 0; pageNumber < MAX_PAGES; pageNumber++) {
      const result = await app.callServerTool({ name: "get_visual_data", arguments: { job_id: jobId, ...(cursor ? { cursor } : {}) } });
      if (result.isError) throw new Error(result.content?.map((item) => ("text" in item ? item.text : "")).join(" ") || "get_visual_data failed");
      const page = result.structuredContent as unknown as VisualPage;
      first ??= page;
      for (const [track, rows] of Object.entries(page.tracks)) (tracks[track] ??= []).push(...rows);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    if (!first) return;
    loaded = { page: first, meta: first.meta ?? {}, tracks };
    span = [0, Math.max(first.duration_s ?? 0, 1)];
    render();
    document.body.dataset.ready = "true";
  } catch (error) {
    title.textContent = `Could not load ${jobId}`;
    view.replaceChildren(element("p", { class: "error" }, error instanceof Error ? error.message : String(error)));
    document.body.dataset.ready = "error";
  }
}

// ---- zoom on time --------------------------------------------------------------------------

zoomNav.addEventListener("click", (event) => {
  const action = (event.target as HTMLElement).closest("button")?.dataset.zoom;
  if (!action || !loaded) return;
  const full = Math.max(loaded.page.duration_s ?? 0, 1);
  const [start, end] = span;
  const width = end - start;
  const middle = (start + end) / 2;
  if (action === "in") span = clampSpan(middle - width / 4, middle + width / 4, full);
  if (action === "out") span = clampSpan(middle - width, middle + width, full);
  if (action === "left") span = clampSpan(start - width / 2, end - width / 2, full);
  if (action === "right") span = clampSpan(start + width / 2, end + width / 2, full);
  if (action === "reset") span = [0, full];
  render();
});

function clampSpan(start: number, end: number, full: number): [number, number] {
  const width = Math.min(Math.max(end - start, 0.5), full);
  const from = Math.min(Math.max(start, 0), full - width);
  return [from, from + width];
}

const drawing: Drawing = {
  chart: (height, name) => chart(height, name),
  axis: (svg, height) => axis(svg, height),
  label: (svg, left, baseline, text) => label(svg, left, baseline, text),
  mark: (svg, className, start, end, top, height, lines) => mark(svg, className, start, end, top, height, lines),
  svgElement,
  x: (time) => x(time),
  visible: (start, end) => visible(start, end),
  zoomTo(start, end) {
    if (!loaded) return;
    const full = Math.max(loaded.page.duration_s ?? 0, 1);
    const pad = Math.max((end - start) * 2, 5);
    span = clampSpan(start - pad, end + pad, full);
    render();
  },
};

const x = (time: number) => LABEL_W + ((time - span[0]) / (span[1] - span[0])) * (WIDTH - LABEL_W);
const visible = (start: number, end: number) => end >= span[0] && start <= span[1];

// ---- drawing -------------------------------------------------------------------------------

function render(): void {
  if (!loaded) return;
  const { page } = loaded;
  title.textContent = `${page.job_id} — ${page.task} (${page.provider})`;
  const timed = page.kind !== "summary" && page.kind !== "provenance" && (page.duration_s ?? 0) > 0;
  zoomNav.hidden = !timed;
  windowLabel.textContent = `${formatTime(span[0])} – ${formatTime(span[1])}`;
  view.dataset.kind = page.kind;
  // Keep the transcript's search text across a re-render (zoom).
  const query = (view.querySelector("input.search") as HTMLInputElement | null)?.value;
  if (page.kind === "acoustics") view.replaceChildren(...drawAcoustics(loaded));
  else if (page.kind === "speakers") view.replaceChildren(...drawSpeakers(loaded));
  else if (page.kind === "emotions") view.replaceChildren(...drawEmotions(drawing, loaded.meta, loaded.tracks));
  else if (page.kind === "transcript") view.replaceChildren(...drawTranscript(drawing, loaded.meta, loaded.tracks));
  else if (page.kind === "provenance") view.replaceChildren(...drawProvenance(drawing, loaded.meta, loaded.tracks));
  else view.replaceChildren(drawSummary(loaded));
  const search = view.querySelector("input.search") as HTMLInputElement | null;
  if (search && query) {
    search.value = query;
    search.dispatchEvent(new Event("input"));
  }
}

interface FileMeta {
  name: string;
  durationSeconds: number;
  loudness: { integratedLufs?: number | null; loudnessRangeLu?: number | null; truePeakDbtp?: number | null };
  speech: { ratio: number; speechSeconds: number; segmentCount: number; pauses: { count: number; meanSeconds: number | null; longestSeconds: number | null } };
  pitch: { medianHz: number | null; p10Hz: number | null; p90Hz: number | null };
  rate: { perSecondOfSpeech: number | null };
}

function drawAcoustics({ meta, tracks }: Loaded): Node[] {
  const files = (meta.files as FileMeta[] | undefined) ?? [];
  const nodes: Node[] = [];
  files.forEach((file, position) => {
    const segments = (tracks.segment ?? []).filter((row) => row[0] === position);
    const loudness = (tracks.loudness ?? []).filter((row) => row[0] === position);
    const f0 = (tracks.f0 ?? []).filter((row) => row[0] === position);
    nodes.push(element("h2", {}, file.name));
    nodes.push(
      figures([
        ["Speech", `${percent(file.speech.ratio)} (${file.speech.segmentCount} segments)`],
        ["Pauses", `${file.speech.pauses.count}${file.speech.pauses.longestSeconds !== null ? `, longest ${seconds(file.speech.pauses.longestSeconds)}` : ""}`],
        ["Integrated", file.loudness.integratedLufs != null ? `${file.loudness.integratedLufs.toFixed(1)} LUFS` : "—"],
        ["LRA", file.loudness.loudnessRangeLu != null ? `${file.loudness.loudnessRangeLu.toFixed(1)} LU` : "—"],
        ["F0 median", file.pitch.medianHz !== null ? `${file.pitch.medianHz.toFixed(0)} Hz` : "—"],
        ["Rate", file.rate.perSecondOfSpeech !== null ? `${file.rate.perSecondOfSpeech.toFixed(1)} syl/s` : "—"],
      ]),
    );

    // Speech/pause strip: one rect per speech segment and per pause between them.
    const strip = chart(34, "Speech and pauses");
    axis(strip, 34);
    label(strip, 4, 18, "speech");
    let previousEnd = 0;
    for (const row of segments) {
      const [, start, end, level, f0Median, f0Low, f0High, voiced, syllables] = row as [number, number, number, number | null, number | null, number | null, number | null, number, number];
      if (start > previousEnd) addPause(strip, previousEnd, start);
      previousEnd = Math.max(previousEnd, end);
      if (!visible(start, end)) continue;
      mark(strip, "segment", start, end, 4, 20, [
        `speech ${formatTime(start)}–${formatTime(end)} (${seconds(end - start)})`,
        `level ${level ?? "—"} dBFS`,
        `F0 median ${f0Median ?? "—"} Hz (p10 ${f0Low ?? "—"}, p90 ${f0High ?? "—"})`,
        `voiced ${percent(voiced)}, ${syllables} syllable nuclei`,
      ]);
    }
    if (file.durationSeconds > previousEnd) addPause(strip, previousEnd, file.durationSeconds);
    nodes.push(strip);

    nodes.push(element("h2", {}, "Short-term loudness (LUFS, 3 s window)"));
    nodes.push(contour(loudness.map((row) => [row[1] as number, row[2] as number | null]), "loudness", "LUFS", (value) => `${value.toFixed(1)} LUFS`));
    nodes.push(element("h2", {}, "Pitch (F0, Hz)"));
    nodes.push(contour(f0.map((row) => [row[1] as number, (row[2] as number) > 0 ? (row[2] as number) : null]), "f0", "Hz", (value) => `${value.toFixed(0)} Hz`));
  });
  for (const failure of (meta.failures as Array<{ name: string; message: string }> | undefined) ?? []) {
    nodes.push(element("p", { class: "error" }, `${failure.name}: not analysed — ${failure.message}`));
  }
  return nodes;
}

function addPause(svg: SVGSVGElement, start: number, end: number): void {
  if (end - start <= 0 || !visible(start, end)) return;
  mark(svg, "pause", start, end, 4, 20, [`pause ${formatTime(start)}–${formatTime(end)} (${seconds(end - start)})`]);
}

/** A line over time with gaps where the value is missing; hover reads the nearest point. */
function contour(points: Array<[number, number | null]>, className: string, unit: string, describe: (value: number) => string): SVGSVGElement {
  const height = 110;
  const svg = chart(height, `${className} contour`);
  axis(svg, height);
  const shown = points.filter(([time]) => time >= span[0] && time <= span[1]);
  const values = shown.map(([, value]) => value).filter((value): value is number => value !== null);
  if (values.length === 0) {
    label(svg, LABEL_W + 4, 50, "no data in this window");
    return svg;
  }
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (high - low < 1) [low, high] = [low - 1, high + 1];
  const y = (value: number) => 8 + (1 - (value - low) / (high - low)) * (height - 30);
  label(svg, 4, y(high) + 4, `${high.toFixed(0)} ${unit}`);
  label(svg, 4, y(low) + 4, `${low.toFixed(0)} ${unit}`);
  let path = "";
  let pen = false;
  for (const [time, value] of shown) {
    if (value === null) {
      pen = false;
      continue;
    }
    path += `${pen ? "L" : "M"}${x(time).toFixed(1)},${y(value).toFixed(1)}`;
    pen = true;
  }
  const line = svgElement("path", { class: className, d: path, "data-start": String(shown[0]![0]), "data-end": String(shown.at(-1)![0]) });
  svg.append(line);
  svg.addEventListener("mousemove", (event) => {
    const time = timeAt(svg, event);
    let nearest: [number, number | null] | undefined;
    for (const point of shown) if (!nearest || Math.abs(point[0] - time) < Math.abs(nearest[0] - time)) nearest = point;
    if (nearest) showTip(event, `${formatTime(nearest[0])}: ${nearest[1] === null ? "—" : describe(nearest[1])}`);
  });
  svg.addEventListener("mouseleave", hideTip);
  return svg;
}

function drawSpeakers({ meta, tracks }: Loaded): Node[] {
  const named = tracks.named ?? [];
  const turns = named.length > 0 ? named : (tracks.turn ?? []);
  const talk = (meta.speakers as Array<{ speaker: string; seconds: number; turns: number }> | undefined) ?? [];
  const speakers = talk.map((entry) => entry.speaker);
  for (const row of turns) if (!speakers.includes(row[0] as string)) speakers.push(row[0] as string);
  const color = (speaker: string) => PALETTE[speakers.indexOf(speaker) % PALETTE.length]!;
  const total = talk.reduce((sum, entry) => sum + entry.seconds, 0);

  const nodes: Node[] = [];
  nodes.push(
    figures([
      ["Speakers", String(speakers.length)],
      ["Turns", String(turns.length)],
      ["Overlap", meta.overlap_s != null ? seconds(meta.overlap_s as number) : "—"],
    ]),
  );

  // Talk-time bars.
  const bars = element("div", { class: "bars", role: "list", "aria-label": "Talk time" });
  for (const entry of talk) {
    const bar = element("div", { class: "bar", title: `${entry.speaker}: ${seconds(entry.seconds)} in ${entry.turns} turns (${percent(total ? entry.seconds / total : 0)})` });
    bar.style.width = `${total ? (100 * entry.seconds) / total : 0}%`;
    bar.style.background = color(entry.speaker);
    bars.append(element("span", {}, entry.speaker), element("div", {}, bar), element("span", { class: "muted" }, `${seconds(entry.seconds)} · ${percent(total ? entry.seconds / total : 0)}`));
  }
  nodes.push(element("h2", {}, "Talk time"), bars);

  // Lanes: one per speaker, one rect per turn; overlaps in a lane of their own.
  const laneHeight = 22;
  const height = (speakers.length + 1) * laneHeight + 22;
  const svg = chart(height, "Speaker lanes");
  axis(svg, height);
  speakers.forEach((speaker, lane) => label(svg, 4, lane * laneHeight + 15, speaker.length > 16 ? `${speaker.slice(0, 15)}…` : speaker));
  for (const row of turns) {
    const [speaker, start, end, extra] = row as [string, number, number, number | string | null];
    if (!visible(start, end)) continue;
    const lane = speakers.indexOf(speaker);
    const rect = mark(svg, "turn", start, end, lane * laneHeight + 3, laneHeight - 6, [
      `${speaker} ${formatTime(start)}–${formatTime(end)} (${seconds(end - start)})`,
      ...(typeof extra === "number" ? [`confidence ${extra}`] : typeof extra === "string" ? [`diarized as ${extra}`] : []),
    ]);
    rect.setAttribute("fill", color(speaker));
    rect.dataset.speaker = speaker;
  }
  const overlapLane = speakers.length * laneHeight;
  label(svg, 4, overlapLane + 15, "overlap");
  for (const [start, end] of overlaps(tracks.turn ?? [])) {
    if (!visible(start, end)) continue;
    mark(svg, "overlap", start, end, overlapLane + 3, laneHeight - 6, [`overlap ${formatTime(start)}–${formatTime(end)} (${seconds(end - start)})`]);
  }
  nodes.push(element("h2", {}, "Timeline"), svg);

  const matches = (meta.matches as Array<{ speaker: string; match: string | null; confidence: Record<string, number> }> | undefined) ?? [];
  if (matches.length > 0) {
    nodes.push(element("h2", {}, "Names"));
    const list = element("ul", { class: "summary" });
    for (const entry of matches) {
      const scores = Object.entries(entry.confidence).map(([name, score]) => `${name} ${score}`).join(", ");
      list.append(element("li", {}, `${entry.speaker} → ${entry.match ?? "no match"}${scores ? ` (${scores})` : ""}`));
    }
    nodes.push(list);
  }
  return nodes;
}

/** Stretches where two or more speakers talk at once (a speaker's own overlapping turns are merged first). */
function overlaps(turns: Row[]): Array<[number, number]> {
  const bySpeaker = new Map<string, Array<[number, number]>>();
  for (const row of turns) {
    const list = bySpeaker.get(row[0] as string) ?? [];
    list.push([row[1] as number, row[2] as number]);
    bySpeaker.set(row[0] as string, list);
  }
  const events: Array<[number, number]> = [];
  for (const list of bySpeaker.values()) {
    list.sort((a, b) => a[0] - b[0]);
    let current: [number, number] | undefined;
    for (const [start, end] of list) {
      if (current && start <= current[1]) current[1] = Math.max(current[1], end);
      else {
        if (current) events.push([current[0], 1], [current[1], -1]);
        current = [start, end];
      }
    }
    if (current) events.push([current[0], 1], [current[1], -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const result: Array<[number, number]> = [];
  let active = 0;
  let from = 0;
  for (const [time, delta] of events) {
    const before = active;
    active += delta;
    if (before < 2 && active >= 2) from = time;
    if (before >= 2 && active < 2 && time > from) result.push([from, time]);
  }
  return result;
}

function drawSummary({ meta }: Loaded): Node {
  const wrapper = element("div", {});
  wrapper.append(element("p", { class: "muted" }, "No drawing for this kind of result yet; its summary:"));
  const list = element("ul", { class: "summary" });
  for (const line of [...((meta.about as string[]) ?? []), ...((meta.summary as string[]) ?? [])]) list.append(element("li", {}, line));
  wrapper.append(list);
  return wrapper;
}

// ---- helpers -------------------------------------------------------------------------------

function chart(height: number, name: string): SVGSVGElement {
  const svg = svgElement("svg", { class: "chart", viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "aria-label": name }) as SVGSVGElement;
  return svg;
}

function axis(svg: SVGSVGElement, height: number): void {
  const group = svgElement("g", { class: "axis" });
  const step = niceStep((span[1] - span[0]) / 8);
  for (let tick = Math.ceil(span[0] / step) * step; tick <= span[1]; tick += step) {
    group.append(svgElement("line", { x1: String(x(tick)), x2: String(x(tick)), y1: "0", y2: String(height - 14) }));
    const text = svgElement("text", { x: String(x(tick)), y: String(height - 2), "text-anchor": "middle" });
    text.textContent = formatTime(tick);
    group.append(text);
  }
  svg.append(group);
}

function niceStep(raw: number): number {
  for (const step of [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]) if (step >= raw) return step;
  return 7200;
}

function mark(svg: SVGSVGElement, className: string, start: number, end: number, top: number, height: number, lines: string[]): SVGElement {
  const from = Math.max(start, span[0]);
  const to = Math.min(end, span[1]);
  const rect = svgElement("rect", {
    class: `mark ${className}`,
    x: x(from).toFixed(2),
    y: String(top),
    width: Math.max(x(to) - x(from), 0.75).toFixed(2),
    height: String(height),
    "data-start": String(start),
    "data-end": String(end),
  });
  const titleElement = svgElement("title", {});
  titleElement.textContent = lines.join("\n");
  rect.append(titleElement);
  rect.addEventListener("mousemove", (event) => showTip(event, lines.join("\n")));
  rect.addEventListener("mouseleave", hideTip);
  svg.append(rect);
  return rect;
}

function label(svg: SVGSVGElement, left: number, baseline: number, text: string): void {
  const node = svgElement("text", { x: String(left), y: String(baseline) });
  node.textContent = text;
  svg.append(node);
}

function timeAt(svg: SVGSVGElement, event: MouseEvent): number {
  const box = svg.getBoundingClientRect();
  const px = ((event.clientX - box.left) / box.width) * WIDTH;
  return span[0] + ((px - LABEL_W) / (WIDTH - LABEL_W)) * (span[1] - span[0]);
}

function showTip(event: MouseEvent, text: string): void {
  tip.textContent = text;
  tip.hidden = false;
  tip.style.left = `${Math.min(event.clientX + 12, window.innerWidth - tip.offsetWidth - 4)}px`;
  tip.style.top = `${event.clientY + 14}px`;
}

function hideTip(): void {
  tip.hidden = true;
}


// Views for Hume (emotion arcs and peaks), Hamsa (transcript with search and jump-to-time) and
// HumanStandard (verdict and truth-score histograms, origins, most suspicious tracks).

import { type Drawing, element, figures, formatTime, percent } from "./draw.js";

type Row = unknown[];

interface Series {
  file: number;
  label: string;
  model: string;
  names: string[];
  peaks: Array<{ name: string; start: number; end: number; score: number }>;
}

const ARC_COLORS = ["#d8643b", "#3b7dd8", "#3bab6f", "#a35bd1", "#c9a227"];

export function drawEmotions(draw: Drawing, meta: Record<string, unknown>, tracks: Record<string, Row[]>): Node[] {
  const series = (meta.series as Series[] | undefined) ?? [];
  const arcs = tracks.arc ?? [];
  const nodes: Node[] = [];
  series.forEach((entry, number) => {
    const rows = arcs.filter((row) => row[0] === number);
    nodes.push(element("h2", {}, `${entry.label} — ${entry.model}: top ${entry.names.length} expressions`));
    const legend = element("ul", { class: "figures" });
    entry.names.forEach((name, k) => {
      const item = element("li", {}, name);
      item.style.color = ARC_COLORS[k % ARC_COLORS.length]!;
      legend.append(item);
    });
    nodes.push(legend);
    const height = 140;
    const svg = draw.chart(height, `${entry.model} emotion arcs`);
    draw.axis(svg, height);
    const y = (score: number) => 8 + (1 - score) * (height - 30);
    draw.label(svg, 4, y(1) + 4, "1.0");
    draw.label(svg, 4, y(0) + 4, "0.0");
    const shown = rows.filter((row) => draw.visible(row[2] as number, row[3] as number));
    entry.names.forEach((name, k) => {
      let path = "";
      let previousGroup: unknown;
      for (const row of shown) {
        const score = row[4 + k] as number | null;
        if (score === null) continue;
        const middle = ((row[2] as number) + (row[3] as number)) / 2;
        path += `${path && row[1] === previousGroup ? "L" : "M"}${draw.x(middle).toFixed(1)},${y(score).toFixed(1)}`;
        previousGroup = row[1];
      }
      const line = draw.svgElement("path", { class: "arc", d: path, stroke: ARC_COLORS[k % ARC_COLORS.length]!, "data-name": name });
      if (shown.length > 0) {
        line.setAttribute("data-start", String(shown[0]![2]));
        line.setAttribute("data-end", String(shown.at(-1)![3]));
      }
      svg.append(line);
    });
    // Peaks: the highest score of each expression, as a mark over its segment.
    entry.peaks.forEach((peak) => {
      if (!draw.visible(peak.start, peak.end)) return;
      const k = entry.names.indexOf(peak.name);
      const mark = draw.mark(svg, "peak", peak.start, peak.end, y(peak.score) - 4, 8, [`peak of ${peak.name}: ${peak.score.toFixed(3)} at ${formatTime(peak.start)}–${formatTime(peak.end)}`]);
      mark.setAttribute("fill", ARC_COLORS[k % ARC_COLORS.length]!);
    });
    // One invisible mark per scored row: exact figures on hover, times for readers and tests.
    for (const row of shown) {
      const lines = [`${formatTime(row[2] as number)}–${formatTime(row[3] as number)}`, ...entry.names.map((name, k) => `${name}: ${row[4 + k] === null ? "—" : (row[4 + k] as number).toFixed(3)}`)];
      draw.mark(svg, "row", row[2] as number, row[3] as number, 0, height - 14, lines);
    }
    nodes.push(svg);
  });
  const failed = ((meta.files as Array<{ label: string; error: string | null }> | undefined) ?? []).filter((file) => file.error);
  for (const file of failed) nodes.push(element("p", { class: "error" }, `${file.label}: ${file.error}`));
  if (series.length === 0) nodes.push(element("p", { class: "muted" }, "No timed expression scores in this result."));
  return nodes;
}

export function drawTranscript(draw: Drawing, meta: Record<string, unknown>, tracks: Record<string, Row[]>): Node[] {
  const utterances = tracks.utterance ?? [];
  const timed = meta.timed === true;
  const nodes: Node[] = [];
  nodes.push(
    figures([
      ["Language", String(meta.language ?? "not reported")],
      ["Words", String(meta.words ?? "—")],
      [timed ? "Segments" : "Sentences", String(utterances.length)],
    ]),
  );
  const search = element("input", { type: "search", placeholder: "Search the transcript", "aria-label": "Search the transcript", class: "search" }) as HTMLInputElement;
  const count = element("span", { class: "muted" });
  nodes.push(element("div", { class: "toolbar" }, search), count);

  const strip = draw.chart(34, "Transcript timeline");
  if (timed) {
    draw.axis(strip, 34);
    draw.label(strip, 4, 18, "speech");
    nodes.push(strip);
  }
  const list = element("ol", { class: "transcript" });
  utterances.forEach((row, position) => {
    const [start, end, speaker, text] = row as [number | null, number | null, string | null, string];
    const item = element("li", { id: `u${position}` });
    if (start !== null) {
      item.dataset.start = String(start);
      item.dataset.end = String(end ?? start);
      const jump = element("button", { type: "button", class: "time", title: "Show on the timeline" }, formatTime(start));
      jump.addEventListener("click", () => draw.zoomTo(start, end ?? start));
      item.append(jump);
      if (draw.visible(start, end ?? start)) {
        const mark = draw.mark(strip, "utterance", start, end ?? start, 4, 20, [`${formatTime(start)}–${formatTime(end ?? start)}${speaker ? ` ${speaker}` : ""}`, text.length > 120 ? `${text.slice(0, 117)}…` : text]);
        mark.dataset.row = String(position);
        mark.addEventListener("click", () => {
          item.scrollIntoView({ block: "nearest" });
          item.classList.add("current");
          setTimeout(() => item.classList.remove("current"), 1200);
        });
      }
    }
    if (speaker) item.append(element("b", {}, `${speaker}: `));
    item.append(element("span", { class: "text" }, text));
    list.append(item);
  });
  const filter = () => {
    const query = search.value.trim().toLowerCase();
    let hits = 0;
    list.querySelectorAll("li").forEach((item, position) => {
      const match = query === "" || (item.textContent ?? "").toLowerCase().includes(query);
      item.hidden = !match;
      if (match) hits += 1;
      strip.querySelector(`[data-row="${position}"]`)?.classList.toggle("dim", !match);
    });
    count.textContent = query ? `${hits} of ${utterances.length} match` : "";
  };
  search.addEventListener("input", filter);
  nodes.push(list);
  return nodes;
}

export function drawProvenance(draw: Drawing, meta: Record<string, unknown>, tracks: Record<string, Row[]>): Node[] {
  const verdicts = (meta.verdicts as Record<string, number> | undefined) ?? {};
  const origins = (meta.origins as Record<string, number> | undefined) ?? {};
  const bins = (meta.truth_histogram as number[] | undefined) ?? [];
  const total = Object.values(verdicts).reduce((sum, value) => sum + value, 0);
  const nodes: Node[] = [];
  nodes.push(
    figures([
      ["Tracks", String(meta.records ?? total)],
      ["Suspicious", `${verdicts.suspicious ?? 0} (${percent(total ? (verdicts.suspicious ?? 0) / total : 0)})`],
      ["Low reliability", String(meta.low_reliability ?? 0)],
      ["Failed", String(meta.failed ?? 0)],
    ]),
  );
  nodes.push(element("h2", {}, "Verdicts"), bars(Object.entries(verdicts), total, "verdict", { human: "#3bab6f", suspicious: "#d14f4f", failed: "#8a8a95", unknown: "#c9a227" }));
  nodes.push(element("h2", {}, "Origins"), bars(Object.entries(origins).sort((a, b) => b[1] - a[1]), Object.values(origins).reduce((sum, value) => sum + value, 0), "origin", {}));

  // Truth-score histogram: 0 = human … 1 = AI.
  nodes.push(element("h2", {}, "Truth scores (0 = human, 1 = AI)"));
  const height = 120;
  const width = 900;
  const svg = draw.svgElement("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Truth score histogram" }) as SVGSVGElement;
  const most = Math.max(1, ...bins);
  const barWidth = (width - 40) / Math.max(bins.length, 1);
  bins.forEach((value, bin) => {
    const barHeight = (value / most) * (height - 30);
    const rect = draw.svgElement("rect", {
      class: "mark bin",
      x: String(20 + bin * barWidth + 2),
      y: String(height - 18 - barHeight),
      width: String(barWidth - 4),
      height: String(Math.max(barHeight, 0.5)),
      "data-from": (bin / 10).toFixed(1),
      "data-to": ((bin + 1) / 10).toFixed(1),
      "data-count": String(value),
    });
    const tip = draw.svgElement("title", {});
    tip.textContent = `truth ${(bin / 10).toFixed(1)}–${((bin + 1) / 10).toFixed(1)}: ${value} tracks`;
    rect.append(tip);
    rect.setAttribute("fill", "#3b7dd8");
    svg.append(rect);
    draw.label(svg, 20 + bin * barWidth + barWidth / 2 - 8, height - 4, (bin / 10).toFixed(1));
  });
  nodes.push(svg);

  const rows = tracks.track ?? [];
  nodes.push(element("h2", {}, `Most suspicious tracks (${Math.min(rows.length, 25)} of ${meta.tracks_total ?? rows.length})`));
  const table = element("table", { class: "tracks" });
  const head = element("tr", {});
  for (const name of ["#", "Track", "Truth", "Verdict", "Origin", "Reliability"]) head.append(element("th", {}, name));
  table.append(head);
  for (const row of rows.slice(0, 25)) {
    const [rank, id, truth, verdict, origin, originConfidence, reliability, title, artist] = row as [number, string, number | null, string, string | null, number | null, number | null, string | null, string | null];
    const line = element("tr", { class: "track", "data-rank": String(rank), "data-truth": truth === null ? "" : String(truth) });
    line.append(
      element("td", {}, String(rank)),
      element("td", { title: id }, title ? `${title}${artist ? ` — ${artist}` : ""}` : id),
      element("td", {}, truth === null ? "—" : truth.toFixed(3)),
      element("td", {}, verdict),
      element("td", {}, origin ? `${origin}${originConfidence !== null ? ` (${originConfidence.toFixed(2)})` : ""}` : "—"),
      element("td", {}, reliability === null ? "—" : reliability.toFixed(2)),
    );
    table.append(line);
  }
  nodes.push(table);
  return nodes;
}

function bars(entries: Array<[string, number]>, total: number, kind: string, colors: Record<string, string>): HTMLElement {
  const grid = element("div", { class: "bars", role: "list" });
  entries.forEach(([name, value], position) => {
    const bar = element("div", { class: "bar", title: `${name}: ${value} (${percent(total ? value / total : 0)})`, [`data-${kind}`]: name, "data-count": String(value) });
    bar.style.width = `${total ? (100 * value) / total : 0}%`;
    bar.style.background = colors[name] ?? ["#3b7dd8", "#a35bd1", "#2aa5a5", "#d8643b", "#7c8a2e"][position % 5]!;
    grid.append(element("span", {}, name), element("div", {}, bar), element("span", { class: "muted" }, `${value} · ${percent(total ? value / total : 0)}`));
  });
  return grid;
}



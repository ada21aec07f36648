// Shared drawing helpers of the results view (DOM and SVG; no canvas, so marks keep their times).

const SVG = "http://www.w3.org/2000/svg";

/** What a view needs from the current time window and chart layout (main.ts provides it). */
export interface Drawing {
  chart(height: number, name: string): SVGSVGElement;
  axis(svg: SVGSVGElement, height: number): void;
  label(svg: SVGSVGElement, left: number, baseline: number, text: string): void;
  mark(svg: SVGSVGElement, className: string, start: number, end: number, top: number, height: number, lines: string[]): SVGElement;
  svgElement(tag: string, attributes: Record<string, string>): SVGElement;
  x(time: number): number;
  visible(start: number, end: number): boolean;
  zoomTo(start: number, end: number): void;
}

export function figures(entries: Array<[string, string]>): HTMLElement {
  const list = element("ul", { class: "figures" });
  for (const [name, value] of entries) {
    const item = element("li", {});
    item.append(element("b", {}, `${name}: `), document.createTextNode(value));
    list.append(item);
  }
  return list;
}

export function element(tag: string, attributes: Record<string, string>, text?: string | Node): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (typeof text === "string") node.textContent = text;
  else if (text) node.append(text);
  return node;
}

export function svgElement(tag: string, attributes: Record<string, string>): SVGElement {
  const node = document.createElementNS(SVG, tag) as SVGElement;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

export function formatTime(total: number): string {
  const sign = total < 0 ? "-" : "";
  const value = Math.abs(total);
  const minutes = Math.floor(value / 60);
  const rest = value - minutes * 60;
  const secondsText = rest.toFixed(value < 60 && value % 1 !== 0 ? 1 : 0).padStart(minutes > 0 ? 2 : 1, "0");
  return minutes > 0 ? `${sign}${minutes}:${secondsText.padStart(2, "0")}` : `${sign}${secondsText} s`;
}

export const seconds = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} s`;
export const percent = (value: number) => `${(value * 100).toFixed(0)}%`;

import { describe, expect, it } from "vitest";
import { renderWithinBudget, tokensOf } from "../../src/condense/render.js";
import type { CondensedView } from "../../src/condense/view.js";
import { formatTime, topK } from "../../src/condense/format.js";

function view(rows: number, summaryLines = 3): CondensedView {
  return {
    about: ["diarization of meeting.wav (12:00.0)"],
    summary: Array.from({ length: summaryLines }, (_, index) => `SPEAKER_0${index}: ${(10 + index).toFixed(1)}% of speech`),
    sections: [
      { heading: "Timeline", rows: Array.from({ length: rows }, (_, index) => `${formatTime(index * 3)} SPEAKER_0${index % 3} turn ${index}`) },
      { heading: "Overlaps", rows: ["0:01.0–0:02.0 SPEAKER_00 + SPEAKER_01"] },
    ],
    notes: ["transcript available with view transcript"],
    figures: { speakers: 3 },
  };
}

const base = { jobId: "pyannote:x", status: "succeeded", header: ["pyannote:x — diarize"], query: { top_k: 5 }, resultUri: "media-jobs://jobs/pyannote:x/result" };

describe("renderWithinBudget", () => {
  it("puts the summary before the detail and a footer that says how to continue", () => {
    const result = renderWithinBudget({ ...base, view: view(500), maxTokens: 800 });
    const text = (result.content[0] as { text: string }).text;
    expect(text.indexOf("Summary:")).toBeLessThan(text.indexOf("Timeline:"));
    expect(text).toMatch(/Showing rows 1–\d+ of 501\. For more, call get_predictions again with the same arguments and cursor "/);
    expect(result.structuredContent.next_cursor).toBeTruthy();
    // Text only (LangChain's adapters turn a resource_link into a file block chat models refuse);
    // the full result's URI is in the text.
    expect(result.content.map((item) => item.type)).toEqual(["text"]);
    expect(text).toContain(`Full result: resource ${base.resultUri}`);
    expect(tokensOf(result)).toBeLessThanOrEqual(800);
  });

  it("walks every row exactly once across pages, including section changes", () => {
    const source = view(120);
    const all = source.sections.flatMap((section) => section.rows);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = renderWithinBudget({ ...base, view: source, maxTokens: 300, cursor });
      expect(tokensOf(result)).toBeLessThanOrEqual(300);
      const lines = (result.content[0] as { text: string }).text.split("\n");
      seen.push(...lines.filter((line) => all.includes(line)));
      cursor = result.structuredContent.next_cursor ?? undefined;
      if (!cursor) break;
    }
    expect(seen).toEqual(all);
  });

  it("cuts a summary too large for the budget and says so, still within the budget", () => {
    const result = renderWithinBudget({ ...base, view: view(10, 400), maxTokens: 200 });
    expect(tokensOf(result)).toBeLessThanOrEqual(200);
    expect((result.content[0] as { text: string }).text).toMatch(/summary cut to fit max_tokens/);
  });

  it("hands a first page with room for the summary only a cursor to row 1, never to itself", () => {
    const source = view(40, 30);
    // The largest budget whose first page holds the summary and no row.
    const budget = [...Array.from({ length: 801 }, (_, index) => 1_000 - index)].find(
      (candidate) => renderWithinBudget({ ...base, view: source, maxTokens: candidate }).structuredContent.rows_shown === 0,
    )!;
    expect(budget).toBeGreaterThan(300);
    const first = renderWithinBudget({ ...base, view: source, maxTokens: budget });
    expect((first.content[0] as { text: string }).text).toMatch(new RegExp(`Summary only: none of the 41 detail rows fit in max_tokens ${budget} beside it`));
    expect((first.content[0] as { text: string }).text).not.toMatch(/Showing rows none/);
    const second = renderWithinBudget({ ...base, view: source, maxTokens: budget, cursor: first.structuredContent.next_cursor! });
    expect(second.structuredContent.first_row).toBe(1);
    expect(second.structuredContent.rows_shown).toBeGreaterThan(0);
    expect(second.structuredContent.next_cursor).not.toBe(first.structuredContent.next_cursor);
  });

  it("names the smallest max_tokens that shows a row too long for the budget, and that one is enough", () => {
    const source: CondensedView = { about: ["a"], summary: ["s"], sections: [{ heading: "Transcript", rows: ["short row", "long " + "word ".repeat(400), "last row"] }] };
    const first = renderWithinBudget({ ...base, view: source, maxTokens: 300 });
    expect(first.structuredContent.rows_shown).toBe(1);
    const cursor = first.structuredContent.next_cursor!;
    const refused = renderWithinBudget({ ...base, view: source, maxTokens: 300, cursor });
    const needed = refused.structuredContent.needs_max_tokens!;
    expect(needed).toBeGreaterThan(300);
    expect(refused.structuredContent.next_cursor).toBeUndefined();
    expect((refused.content[0] as { text: string }).text).toContain(`max_tokens 300 is too small to show row 2 of 3; the smallest max_tokens that is enough is ${needed}`);
    expect(tokensOf(refused)).toBeLessThanOrEqual(300);
    const enough = renderWithinBudget({ ...base, view: source, maxTokens: needed, cursor });
    expect(enough.structuredContent.first_row).toBe(2);
    expect(enough.structuredContent.rows_shown).toBeGreaterThan(0);
    expect(tokensOf(enough)).toBeLessThanOrEqual(needed);
    expect(renderWithinBudget({ ...base, view: source, maxTokens: needed - 1, cursor }).structuredContent.needs_max_tokens).toBe(needed);
  });

  it("skips, with a pointer to the full result, a row that no budget could hold", () => {
    const source: CondensedView = { about: ["a"], summary: ["s"], sections: [{ heading: "Rows", rows: ["first", "x".repeat(40_000), "third"] }] };
    const first = renderWithinBudget({ ...base, view: source, maxTokens: 300 });
    const skipped = renderWithinBudget({ ...base, view: source, maxTokens: 300, cursor: first.structuredContent.next_cursor! });
    expect((skipped.content[0] as { text: string }).text).toContain(`Row 2 of 3 is longer than the largest max_tokens (8000) holds; it is in the full result (${base.resultUri})`);
    const third = renderWithinBudget({ ...base, view: source, maxTokens: 300, cursor: skipped.structuredContent.next_cursor! });
    expect(third.structuredContent).toMatchObject({ first_row: 3, rows_shown: 1 });
    expect(third.structuredContent.next_cursor).toBeUndefined();
  });

  it("sheds a long label from later pages before it would crowd out every row", () => {
    const source = view(60);
    const header = [`pyannote:x — diarize — "${"ل".repeat(200)}"`];
    for (let budget = 200; budget <= 300; budget++) {
      const first = renderWithinBudget({ ...base, header, view: source, maxTokens: budget });
      const next = renderWithinBudget({ ...base, header, view: source, maxTokens: budget, cursor: first.structuredContent.next_cursor! });
      expect(next.structuredContent.rows_shown, `budget ${budget}`).toBeGreaterThan(0);
      expect(tokensOf(next)).toBeLessThanOrEqual(budget);
    }
  });

  it("counts the budget in UTF-8 bytes, so an Arabic page holds half the characters of an English one", () => {
    const rows = (text: string) => ({ about: ["t"], summary: ["s"], sections: [{ heading: "Transcript", rows: Array.from({ length: 300 }, (_, index) => `[${index}] ${text}`) }] });
    const arabic = renderWithinBudget({ ...base, view: rows("الأسعار ارتفعت كثيراً هذا العام"), maxTokens: 1_000 });
    const english = renderWithinBudget({ ...base, view: rows("prices rose sharply this year ok"), maxTokens: 1_000 });
    for (const page of [arabic, english]) {
      const bytes = new TextEncoder().encode(JSON.stringify(page)).length;
      expect(bytes).toBeLessThanOrEqual(4_000);
      expect(bytes).toBeGreaterThan(3_800);
    }
    expect(arabic.structuredContent.rows_shown).toBeLessThan(english.structuredContent.rows_shown * 0.7);
  });

  it("refuses cursors it did not issue or that point past the end", () => {
    expect(() => renderWithinBudget({ ...base, view: view(5), maxTokens: 500, cursor: "not-a-cursor" })).toThrow(/not one this server issued/);
  });
});

describe("formatting", () => {
  it("prints times as m:ss.s and h:mm:ss.s", () => {
    expect(formatTime(0)).toBe("0:00.0");
    expect(formatTime(83.44)).toBe("1:23.4");
    expect(formatTime(59.96)).toBe("1:00.0");
    expect(formatTime(3723)).toBe("1:02:03.0");
  });

  it("breaks score ties by name", () => {
    expect(topK([{ name: "Joy", score: 0.5 }, { name: "Awe", score: 0.5 }, { name: "Calmness", score: 0.7 }], 2).map((item) => item.name)).toEqual(["Calmness", "Awe"]);
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { PredictionQuery } from "../../../src/condense/view.js";
import type { Job } from "../../../src/jobs/job.js";
import { buildHamsaIndex, condenseHamsa } from "../../../src/providers/hamsa/hamsa-condense.js";
import { foldForSearch } from "../../../src/providers/hamsa/hamsa-text-match.js";
import { parseHamsaTranscript } from "../../../src/providers/hamsa/hamsa-transcript.js";

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/hamsa/${name}.json`, import.meta.url), "utf8"));

const job: Job = {
  id: "hamsa:abc",
  provider: "hamsa",
  nativeId: "abc",
  task: "transcribe",
  status: "succeeded",
  inputs: [{ kind: "url", url: "https://media.example/interview.mp3" }],
  options: {},
  createdAt: "2026-03-01T10:00:00Z",
  updatedAt: "2026-03-01T10:01:00Z",
  resultState: "stored",
  pollCount: 3,
};

const indexOf = (name: string) => buildHamsaIndex(parseHamsaTranscript(fixture(name)), { model: "Hamsa-General-V2.0", totalCost: 0.25, usageTime: "20" });
const condense = (name: string, query: Partial<PredictionQuery> = {}) => condenseHamsa(job, indexOf(name), { top_k: 5, ...query });

describe("condenseHamsa", () => {
  it("summarizes language, duration, word count and speakers, then lists timed segments", () => {
    const view = condense("arabic-segments");
    expect(view.summary[0]).toBe("Language: Arabic (ar) · duration 0:19.9 · 26 words · 6 segments");
    expect(view.summary[1]).toMatch(/^Speakers \(2, talk time\): SPEAKER_00 58\.9% \(0:10\.9\), SPEAKER_01 41\.1% \(0:07\.6\)$/);
    expect(view.sections[0]!.rows).toHaveLength(6);
    expect(view.sections[0]!.rows[0]).toBe("[0:00.0–0:03.2] SPEAKER_00: مَرْحَباً بِكُمْ في البرنامج.");
    expect(view.about[0]).toContain("https://media.example/interview.mp3");
  });

  it("finds a query without diacritics, tatweel or hamza forms, with one segment of context each side", () => {
    // The transcript says "الأسعـــار" (tatweel, hamza on alef); the model types "الاسعار".
    const view = condense("arabic-segments", { query: "الاسعار" });
    expect(view.summary).toContain('Search "الاسعار": 1 matching segment (marked », with one segment of context before and after)');
    expect(view.sections[0]!.rows).toEqual([
      "  [0:10.2–0:12.9] SPEAKER_00: ما رأيك في أسعار النفط؟",
      "» [0:13.1–0:17.4] SPEAKER_01: الأسعـــار ارتفعت كثيراً هذا العام.",
      "  [0:17.8–0:19.9] SPEAKER_00: وماذا عن المستقبل؟",
    ]);
  });

  it("matches a vowelled query against an unvowelled transcript and separates distant matches", () => {
    const view = condense("arabic-segments", { query: "مَرحبا" });
    expect(view.sections[0]!.rows[0]).toMatch(/^» \[0:00\.0/);
    const both = condense("arabic-segments", { query: "عن" });
    expect(both.figures?.matches).toBe(2);
    expect(both.sections[0]!.rows).toContain("…");
  });

  it("searches English case-insensitively", () => {
    const view = condense("utterances-ms", { query: "BUDGET" });
    expect(view.sections[0]!.rows.at(-1)).toBe("» [0:05.3–0:09.1] speaker 1: Let us talk about the budget.");
    expect(view.notes).toContain("Hamsa gave times in milliseconds; shown converted to seconds");
  });

  it("says when nothing matched and how matching works", () => {
    const view = condense("arabic-segments", { query: "zzz" });
    expect(view.sections[0]!.rows).toEqual([]);
    expect(view.notes?.some((note) => note.includes("Arabic diacritics"))).toBe(true);
  });

  it("filters by time window and speaker", () => {
    const windowed = condense("arabic-segments", { start_s: 6, end_s: 12 });
    expect(windowed.sections[0]!.rows.map((row) => row.slice(0, 15))).toEqual(["[0:03.2–0:06.1]", "[0:06.5–0:09.8]", "[0:10.2–0:12.9]"]);
    const speaker = condense("arabic-segments", { speaker: "speaker_01" });
    expect(speaker.sections[0]!.rows).toHaveLength(2);
    const nobody = condense("arabic-segments", { speaker: "SPEAKER_09" });
    expect(nobody.notes?.some((note) => note.includes("speakers are: SPEAKER_00, SPEAKER_01"))).toBe(true);
  });

  it("splits a plain-text transcript into sentences and says window filters cannot apply", () => {
    const view = condense("text-only", { start_s: 10 });
    expect(view.sections[0]!.rows).toEqual(["هذا نص تجريبي.", "إنه يحتوي على جملتين فقط؟", "نعم، وثلاث جمل!"]);
    expect(view.notes).toContain("start_s/end_s ignored: this transcript has no timestamps");
  });

  it("says when the shape was not recognized and still shows the text", () => {
    const view = condense("unknown-shape");
    expect(view.notes?.some((note) => note.includes("format this server does not recognize"))).toBe(true);
    expect(view.sections[0]!.rows.join(" ")).toContain("نص غير معروف الشكل");
  });

  it("cuts very long segments into continuation rows so paging always progresses", () => {
    const long = "word ".repeat(500).trim();
    const index = buildHamsaIndex(parseHamsaTranscript({ segments: [{ start: 0, end: 300, text: long }] }), {});
    const view = condenseHamsa(job, index, { top_k: 5 });
    expect(view.sections[0]!.rows.length).toBeGreaterThan(4);
    expect(view.sections[0]!.rows.every((row) => row.length <= 480)).toBe(true);
    expect(view.sections[0]!.rows.join(" ").split("word").length - 1).toBe(500);
  });

  it("offers a summary-only view and refuses unknown views", () => {
    expect(condense("arabic-segments", { view: "summary" }).sections).toEqual([]);
    expect(() => condense("arabic-segments", { view: "faces" })).toThrow(/use one of: transcript, summary/);
  });
});

describe("foldForSearch", () => {
  it("folds alef forms, alef maqsura, teh marbuta, diacritics, tatweel and Arabic-Indic digits", () => {
    expect(foldForSearch("إِلى")).toBe(foldForSearch("الي"));
    expect(foldForSearch("مدرسة")).toBe(foldForSearch("مدرسه"));
    expect(foldForSearch("كـــتاب")).toBe("كتاب");
    expect(foldForSearch("٢٠٢٦")).toBe("2026");
    expect(foldForSearch("Café")).toBe("cafe");
  });
});

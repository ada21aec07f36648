import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseHamsaTranscript } from "../../../src/providers/hamsa/hamsa-transcript.js";

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/hamsa/${name}.json`, import.meta.url), "utf8"));

describe("parseHamsaTranscript reads every jobResponse shape Hamsa may send", () => {
  it("reads Arabic segments with speakers and keeps the vendor's full text", () => {
    const parsed = parseHamsaTranscript(fixture("arabic-segments"));
    expect(parsed.shape).toBe("segments");
    expect(parsed.segments).toHaveLength(6);
    expect(parsed.segments[2]).toEqual({ start: 6.5, end: 9.8, text: "أهلاً وسهلاً، شكراً على الاستضافة.", speaker: "SPEAKER_01" });
    expect(parsed.language).toBe("ar");
    expect(parsed.durationSeconds).toBe(19.9);
    expect(parsed.text.startsWith("مَرْحَباً")).toBe(true);
  });

  it("reads a bare text field", () => {
    const parsed = parseHamsaTranscript(fixture("text-only"));
    expect(parsed.shape).toBe("text");
    expect(parsed.text).toContain("هذا نص تجريبي");
    expect(parsed.segments).toEqual([]);
  });

  it("reads a transcript field and its language", () => {
    const parsed = parseHamsaTranscript(fixture("transcript-key"));
    expect(parsed.text).toBe("Good morning everyone. Today we talk about the weather.");
    expect(parsed.language).toBe("en");
  });

  it("detects millisecond times and numeric speakers in utterances", () => {
    const parsed = parseHamsaTranscript(fixture("utterances-ms"));
    expect(parsed.timesWereMilliseconds).toBe(true);
    expect(parsed.segments[1]).toEqual({ start: 2.6, end: 5.1, text: "Thanks for having me.", speaker: "speaker 2" });
    expect(parsed.durationSeconds).toBeCloseTo(9.05);
  });

  it("keeps integer times in seconds when segments are seconds long", () => {
    const parsed = parseHamsaTranscript({ segments: [{ start: 0, end: 4, text: "a" }, { start: 4, end: 9, text: "b" }] });
    expect(parsed.timesWereMilliseconds).toBeUndefined();
    expect(parsed.segments[1]).toMatchObject({ start: 4, end: 9 });
  });

  it("uses the media duration to decide milliseconds when it is known", () => {
    const parsed = parseHamsaTranscript({ segments: [{ start: 0, end: 30, text: "a" }, { start: 30, end: 40, text: "b" }] }, 40);
    expect(parsed.segments[1]).toMatchObject({ start: 30, end: 40 });
    const inMs = parseHamsaTranscript({ segments: [{ start: 0, end: 30, text: "a" }, { start: 30, end: 40000, text: "b" }] }, 40);
    expect(inMs.segments[1]).toMatchObject({ start: 0.03, end: 40 });
  });

  it("merges word-level output into phrases at pauses and sentence ends", () => {
    const parsed = parseHamsaTranscript(fixture("words"));
    expect(parsed.shape).toBe("words");
    expect(parsed.segments.map((segment) => segment.text)).toEqual(["السلام عليكم ورحمة الله.", "كيف حالك اليوم؟"]);
    expect(parsed.segments[1]).toMatchObject({ start: 4.0, end: 5.4 });
  });

  it("decodes a jobResponse that is a JSON string, with clock-formatted times", () => {
    const parsed = parseHamsaTranscript(fixture("json-string"));
    expect(parsed.shape).toBe("segments");
    expect(parsed.segments[1]).toEqual({ start: 4.2, end: 7, text: "Our guest today is an economist." });
  });

  it("reads SRT subtitles with their timestamps", () => {
    const parsed = parseHamsaTranscript(fixture("srt"));
    expect(parsed.shape).toBe("srt");
    expect(parsed.segments).toEqual([
      { start: 0, end: 2.5, text: "مرحبا بكم" },
      { start: 2.6, end: 5, text: "كيف حالكم اليوم" },
    ]);
  });

  it("keeps an unrecognized shape as raw text instead of failing", () => {
    const parsed = parseHamsaTranscript(fixture("unknown-shape"));
    expect(parsed.shape).toBe("raw");
    expect(parsed.text).toContain("نص غير معروف الشكل");
  });

  it("treats a missing or empty jobResponse as an empty transcript", () => {
    expect(parseHamsaTranscript(null)).toMatchObject({ shape: "empty", text: "", segments: [] });
    expect(parseHamsaTranscript({})).toMatchObject({ shape: "empty" });
    expect(parseHamsaTranscript("   ")).toMatchObject({ shape: "empty" });
  });

  it("treats text that only looks like JSON as text", () => {
    const parsed = parseHamsaTranscript("[music] then the host speaks");
    expect(parsed).toMatchObject({ shape: "text", text: "[music] then the host speaks" });
  });
});

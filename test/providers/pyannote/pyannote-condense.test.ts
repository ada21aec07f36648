import { describe, expect, it } from "vitest";
import type { Job } from "../../../src/jobs/job.js";
import { buildPyannoteIndex, condensePyannote } from "../../../src/providers/pyannote/pyannote-condense.js";

const job: Job = { id: "pyannote:j", provider: "pyannote", nativeId: "j", task: "diarize", status: "succeeded", inputs: [{ kind: "url", url: "https://m.example.com/panel.wav" }], options: {}, createdAt: "t", updatedAt: "t", resultState: "stored", pollCount: 1 };

// Hand-made: A talks 0–10 (with a 0.3 s gap at 4.0), B 5–12, C 11–13, A again 20–21.
const output = {
  diarization: [
    { speaker: "A", start: 0, end: 4 },
    { speaker: "A", start: 4.3, end: 10 },
    { speaker: "B", start: 5, end: 12 },
    { speaker: "C", start: 11, end: 13 },
    { speaker: "A", start: 20, end: 21 },
  ],
};

describe("diarization condenser", () => {
  const index = buildPyannoteIndex("diarize", output);

  it("computes talk time, shares, merged turns, longest turn and overlap", () => {
    const view = condensePyannote(job, index, { top_k: 5 });
    // A: 4 + 5.7 + 1 = 10.7 s; B: 7 s; C: 2 s; total 19.7 s. Overlap: 5–10 (A+B) and 11–12 (B+C) = 6 s.
    expect(view.figures).toMatchObject({
      speakers: [
        { speaker: "A", talk_s: 10.7, share: 0.543, turns: 2 },
        { speaker: "B", talk_s: 7, share: 0.355, turns: 1 },
        { speaker: "C", talk_s: 2, share: 0.102, turns: 1 },
      ],
      overlap_s: 6,
      speech_s: 19.7,
    });
    expect(view.summary.join("\n")).toContain("A: 0:10.7 (54.3%), 2 turns, longest turn 10.0 s at 0:00.0–0:10.0");
    expect(view.sections[0]!.rows).toEqual([
      "0:00.0–0:10.0 A (10.0 s)",
      "0:05.0–0:12.0 B (7.0 s)",
      "0:11.0–0:13.0 C (2.0 s)",
      "0:20.0–0:21.0 A (1.0 s)",
    ]);
  });

  it("clips the summary and timeline to a window and filters a speaker", () => {
    const view = condensePyannote(job, index, { top_k: 5, start_s: 9, end_s: 12, speaker: "B" });
    expect(view.figures).toMatchObject({ overlap_s: 2 }); // 9–10 (A+B), 11–12 (B+C)
    expect(view.sections[0]!.rows).toEqual(["0:09.0–0:12.0 B (3.0 s)"]);
    expect(view.notes?.join(" ")).toContain("timeline shows B only");
  });

  it("asks for transcription when the transcript view has none", () => {
    expect(() => condensePyannote(job, index, { top_k: 5, view: "transcript" })).toThrow(/options.transcription: true/);
  });
});

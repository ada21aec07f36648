// Prompts for the common asks, each chaining the tools in the order that works.

import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

interface PromptSpec {
  name: string;
  title: string;
  description: string;
  argument: { name: string; description: string };
  extra?: { name: string; description: string };
  text(value: string, extra?: string): string;
}

const mediaHint = (value: string) =>
  /^https?:\/\//i.test(value) ? `{"url": "${value}"}` : `{"path": "${value}"}`;

const PROMPTS: PromptSpec[] = [
  {
    name: "who_spoke_when",
    title: "Who spoke when in this recording",
    description: "Speaker diarization of a recording: who talked, for how long, and when.",
    argument: { name: "recording", description: "Public https URL or local path of the recording" },
    text: (recording) =>
      `Find out who spoke when in ${recording}.\n` +
      `1. Call list_providers and check that pyannote is configured (if not, say which env var to set and offer the local acoustic analysis instead).\n` +
      `2. Call start_job with provider "pyannote", task "diarize", media [${mediaHint(recording)}].\n` +
      `3. Call get_job with the job_id and wait_seconds 45 until the status is succeeded.\n` +
      `4. Call get_predictions with the job_id. Report the speakers with their talk-time shares, overlaps and the longest monologue, then the key turns. Page with next_cursor only if asked for detail.`,
  },
  {
    name: "emotional_arc",
    title: "The emotional arc of this interview",
    description: "Expression in the voice over the course of an interview (Hume's current API; works with today's Hume keys).",
    argument: { name: "recording", description: "Local path (under an allowed directory) or public https URL of the interview audio" },
    text: (recording) =>
      `Describe the emotional arc of the interview at ${recording}.\n` +
      `1. Call start_job with provider "hume", task "audio_expression", media [${mediaHint(recording)}]. (Task "expression" is Hume's retired batch v0 API and only works against a v0-compatible endpoint; audio_expression reaches Hume's current API with today's keys. It takes audio in any format the local analyzer reads; for a video, extract its audio track first.)\n` +
      `2. Call get_job with wait_seconds 45 until it succeeds (progress counts seconds of audio measured; a long recording is sent in ~13-minute pieces).\n` +
      `3. Call get_predictions for the summary (top expressions and voice attributes over the whole recording, peaks, turns), then with view "arc" for the arc over time. Summarize how the expressions move from beginning to end, citing times as m:ss.`,
  },
  {
    name: "scan_catalog",
    title: "Scan this catalog for AI-generated tracks",
    description: "AI-music provenance for a catalog of tracks (HumanStandard).",
    argument: { name: "tracks", description: "Comma-separated public https URLs of the tracks, or one NDJSON manifest URL" },
    text: (tracks) => {
      const urls = tracks.split(",").map((url) => url.trim()).filter(Boolean);
      const media = urls.length === 1 && /\.ndjson(\?|$)/i.test(urls[0]!)
        ? `media [{"url": "${urls[0]}"}] is not needed: use options {"manifest_url": "${urls[0]}"}`
        : `media ${JSON.stringify(urls.map((url, index) => ({ id: `track-${index + 1}`, url })))}`;
      return (
        `Scan these tracks for AI generation.\n` +
        `1. Call start_job with provider "humanstandard", task "provenance", ${media}, and an idempotency_key so a retry never submits twice.\n` +
        `2. Call get_job with wait_seconds 45 until it succeeds (progress counts tracks).\n` +
        `3. Call get_predictions: report the verdict counts, then the most suspicious tracks with their truth score, likely origin and reliability caveats. Use verdict "suspicious" to list only those.`
      );
    },
  },
  {
    name: "acoustic_check",
    title: "Acoustic check of this recording",
    description: "Offline loudness, speech activity, pitch and speaking-rate check (no key, nothing uploaded).",
    argument: { name: "recording", description: "Local path (under an allowed directory) or public https URL" },
    text: (recording) =>
      `Run an acoustic check of ${recording}.\n` +
      `1. Call start_job with provider "local", task "acoustic", media [${mediaHint(recording)}].\n` +
      `2. Call get_job with wait_seconds 30 until it succeeds.\n` +
      `3. Call get_predictions. Report integrated loudness against the −23 LUFS (broadcast) / −16 LUFS (podcast) targets, true peak against −1 dBTP, clipping, the speech ratio and pauses, pitch range and speaking rate, and anything a producer should fix.`,
  },
];

export function registerPrompts(server: McpServer): void {
  for (const prompt of PROMPTS) {
    server.registerPrompt(
      prompt.name,
      {
        title: prompt.title,
        description: prompt.description,
        argsSchema: { [prompt.argument.name]: z.string().min(1).describe(prompt.argument.description) },
      },
      (args: Record<string, string>) => ({
        description: prompt.description,
        messages: [{ role: "user", content: { type: "text", text: prompt.text(args[prompt.argument.name] ?? "") } }],
      }),
    );
  }
}

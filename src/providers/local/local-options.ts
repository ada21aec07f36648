// start_job.options for the local analyzer, validated at the edge.

import { z } from "zod";
import { UserInputError } from "../../errors.js";
import type { AnalysisOptions } from "./local-analyze.js";

export const localOptionsSchema = z
  .object({
    vad_sensitivity: z.number().min(0).max(1).default(0.5),
    min_pause_s: z.number().min(0.05).max(5).default(0.3),
    f0_min_hz: z.number().min(40).max(400).default(60),
    f0_max_hz: z.number().min(100).max(1000).default(500),
  })
  .strict()
  .refine((options) => options.f0_min_hz < options.f0_max_hz, { message: "f0_min_hz must be below f0_max_hz", path: ["f0_min_hz"] });

export const LOCAL_OPTION_DESCRIPTIONS = [
  "vad_sensitivity: 0 (only clear speech) … 1 (anything voice-like) (0.5)",
  "min_pause_s: shorter silences inside speech are not counted as pauses, 0.05–5 (0.3)",
  "f0_min_hz: lowest pitch searched, 40–400 (60)",
  "f0_max_hz: highest pitch searched, 100–1000 (500)",
];

export function parseLocalOptions(raw: Record<string, unknown> | undefined): AnalysisOptions {
  const parsed = localOptionsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join(".") : "options";
    const detail =
      issue.code === "unrecognized_keys" ? `unknown option ${issue.keys.map((key) => `"${key}"`).join(", ")}` : `${where}: ${issue.message}`;
    throw new UserInputError(`local acoustic options: ${detail}. Accepted: ${LOCAL_OPTION_DESCRIPTIONS.join("; ")}`);
  }
  const options = parsed.data;
  return {
    vadSensitivity: options.vad_sensitivity,
    minPauseSeconds: options.min_pause_s,
    f0MinHz: options.f0_min_hz,
    f0MaxHz: options.f0_max_hz,
  };
}

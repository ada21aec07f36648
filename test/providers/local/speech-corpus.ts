// The committed real-speech clips (test/fixtures/speech) and what the peer tools said about
// them (references.json, made by peers/make-references.py; the tools are not needed here).

import fs from "node:fs";
import path from "node:path";

export const SPEECH_DIR = "test/fixtures/speech";

export type { CorpusClip, PeerReference } from "../../../src/bench/local-accuracy.js";
import type { CorpusClip, PeerReference } from "../../../src/bench/local-accuracy.js";

export const corpus = JSON.parse(fs.readFileSync(path.join(SPEECH_DIR, "corpus.json"), "utf8")) as { clips: CorpusClip[] };
export const references = JSON.parse(fs.readFileSync(path.join(SPEECH_DIR, "references.json"), "utf8")) as Record<string, PeerReference>;

export function clipPath(file: string): string {
  return path.join(SPEECH_DIR, file);
}

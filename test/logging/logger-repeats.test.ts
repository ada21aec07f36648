// Repeated log lines are held back: a flood writes a few lines and then one count, not a line
// per event; different messages are never merged.

import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";

describe("logger repeats", () => {
  it("writes the first few copies of a repeated line per 10 s window, then says how many it held back", () => {
    const lines: string[] = [];
    let clock = 0;
    const logger = createLogger({ level: "info", secrets: ["sekret-value"], write: (line) => lines.push(line), now: () => clock });
    for (let index = 0; index < 1_000; index++) logger.warning("rejected pyannote webhook: signature does not match");
    logger.warning("another message");
    expect(lines.filter((line) => line.includes("signature does not match"))).toHaveLength(3);
    expect(lines.some((line) => line.includes("another message"))).toBe(true);
    clock += 10_000;
    logger.warning("rejected pyannote webhook: signature does not match");
    expect(lines.at(-1)).toContain("signature does not match (and 997 more like it in the previous 10 s)");
    // Secrets are still redacted in counted lines.
    logger.info("token sekret-value refused");
    expect(lines.at(-1)).toContain("token [redacted] refused");
  });
});

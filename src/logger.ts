// Logs go to stderr only: on stdio, stdout carries nothing but JSON-RPC.
// Every line passes through redaction of known secrets before it is written.

import type { LogLevel } from "./config.js";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, notice: 25, warning: 30, error: 40 };

export type LogSink = (level: LogLevel, message: string, data?: Record<string, unknown>) => void;

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warning(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  /** Extra destinations (MCP logging notifications); returns an unsubscribe function. */
  addSink(sink: LogSink): () => void;
}

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join("[redacted]");
  }
  return result;
}

/** Within this window a message repeated word for word is written a few times, then counted. */
const REPEAT_WINDOW_MS = 10_000;
const REPEATS_WRITTEN = 3;
/** Messages tracked at once; the oldest windows are dropped beyond this. */
const REPEATS_TRACKED = 1_000;

export function createLogger(options: {
  level: LogLevel;
  secrets: readonly string[];
  write?: (line: string) => void;
  now?: () => number;
}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const now = options.now ?? Date.now;
  const sinks = new Set<LogSink>();
  // A flood (forged webhooks, a failing poll) must not become a flood of identical lines.
  const repeats = new Map<string, { windowStart: number; count: number }>();
  /** Whether to write this line, and how many copies of it were held back before it. */
  const admit = (key: string): { write: boolean; suppressed: number } => {
    const at = now();
    const seen = repeats.get(key);
    if (!seen || at - seen.windowStart >= REPEAT_WINDOW_MS) {
      const suppressed = seen ? Math.max(0, seen.count - REPEATS_WRITTEN) : 0;
      repeats.delete(key);
      repeats.set(key, { windowStart: at, count: 1 });
      if (repeats.size > REPEATS_TRACKED) repeats.delete(repeats.keys().next().value!);
      return { write: true, suppressed };
    }
    seen.count++;
    return { write: seen.count <= REPEATS_WRITTEN, suppressed: 0 };
  };
  const emit = (level: LogLevel, rawMessage: string, data?: Record<string, unknown>) => {
    const admitted = admit(`${level} ${rawMessage}`);
    if (!admitted.write) return;
    const message = admitted.suppressed > 0 ? `${rawMessage} (and ${admitted.suppressed} more like it in the previous ${REPEAT_WINDOW_MS / 1000} s)` : rawMessage;
    const safeMessage = redactSecrets(message, options.secrets);
    const safeData = data ? (JSON.parse(redactSecrets(JSON.stringify(data), options.secrets)) as Record<string, unknown>) : undefined;
    if (ORDER[level] >= ORDER[options.level]) {
      const suffix = safeData ? " " + JSON.stringify(safeData) : "";
      write(`${new Date().toISOString()} ${level} ${safeMessage}${suffix}`);
    }
    for (const sink of sinks) {
      try {
        sink(level, safeMessage, safeData);
      } catch {
        // A broken sink (a closed session) must not break logging for everyone else.
      }
    }
  };
  return {
    debug: (message, data) => emit("debug", message, data),
    info: (message, data) => emit("info", message, data),
    warning: (message, data) => emit("warning", message, data),
    error: (message, data) => emit("error", message, data),
    addSink(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
  };
}

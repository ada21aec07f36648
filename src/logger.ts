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

export function createLogger(options: {
  level: LogLevel;
  secrets: readonly string[];
  write?: (line: string) => void;
}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const sinks = new Set<LogSink>();
  const emit = (level: LogLevel, message: string, data?: Record<string, unknown>) => {
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

// MCP over stdio, newline-delimited, with the checks of incoming-message.ts. Replaces the
// SDK's StdioServerTransport, which drops what its schema refuses without an answer and
// closes the whole connection (the server exits) when a line passes its buffer limit.
// Here a line over the limit is discarded as it streams in (never buffered whole) and
// answered with an error naming the limit; the session goes on.

import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { checkIncomingText, errorReply, LARGE_INPUT_ADVICE, MAX_MESSAGE_BYTES, recoverIdFromPrefix, type Checked } from "./incoming-message.js";

/** Enough of an oversized line's start to find its id. */
const ID_PREFIX_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

export interface GuardedStdioOptions {
  maxMessageBytes?: number;
  /** Told about each refused message (for a debug log line); never about accepted ones. */
  onRefused?: (reason: string) => void;
}

export class GuardedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly maxMessageBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Set while the rest of an oversized line is skipped: its first bytes, for the id. */
  private oversized: Buffer | undefined;
  private closed = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly options: GuardedStdioOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  }

  async start(): Promise<void> {
    this.input.on("data", this.onData);
    this.input.on("error", this.onInputError);
    this.input.on("end", this.onEnd);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    const line = JSON.stringify(message) + "\n";
    if (!this.output.write(line)) await new Promise<void>((resolve) => this.output.once("drain", resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off("data", this.onData);
    this.input.off("error", this.onInputError);
    this.input.off("end", this.onEnd);
    if (this.input.listenerCount("data") === 0) this.input.pause();
    this.pending = [];
    this.oversized = undefined;
    this.onclose?.();
  }

  private readonly onInputError = (error: Error) => this.onerror?.(error);
  private readonly onEnd = () => void this.close();

  private readonly onData = (chunk: Buffer) => {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline < 0 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline < 0) break;
      this.finishLine();
      start = newline + 1;
    }
  };

  /** Adds part of the current line, switching to skipping once it is over the limit. */
  private take(part: Buffer): void {
    if (part.length === 0) return;
    if (this.oversized) {
      if (this.oversized.length < ID_PREFIX_BYTES) {
        this.oversized = Buffer.concat([this.oversized, part.subarray(0, ID_PREFIX_BYTES - this.oversized.length)]);
      }
      return;
    }
    if (this.pendingBytes + part.length > this.maxMessageBytes) {
      this.oversized = Buffer.concat([...this.pending, part]).subarray(0, ID_PREFIX_BYTES);
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private finishLine(): void {
    if (this.oversized) {
      const id = recoverIdFromPrefix(this.oversized.toString("utf8"));
      this.oversized = undefined;
      const limit = `${this.maxMessageBytes / (1024 * 1024)} MiB`;
      this.options.onRefused?.(`message over ${limit}`);
      void this.send(
        errorReply(
          id,
          ErrorCode.InvalidRequest,
          `Invalid Request: the message is larger than the ${limit} limit and was discarded; ${LARGE_INPUT_ADVICE}`,
        ),
      ).catch((error: unknown) => this.onerror?.(error as Error));
      return;
    }
    const line = Buffer.concat(this.pending).toString("utf8").replace(/\r$/, "");
    this.pending = [];
    this.pendingBytes = 0;
    if (line.trim() === "") return;
    this.deliver(checkIncomingText(line));
  }

  private deliver(checked: Checked): void {
    if (checked.kind === "message") {
      this.onmessage?.(checked.message);
      return;
    }
    this.options.onRefused?.(checked.reason);
    for (const reply of checked.replies) void this.send(reply).catch((error: unknown) => this.onerror?.(error as Error));
  }
}

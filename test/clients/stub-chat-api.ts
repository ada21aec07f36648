// A loopback stand-in for the OpenAI, Anthropic and Gemini chat endpoints: answers every
// request with a canned one-word completion in that vendor's wire format and records the
// request bodies, so a test can run a chat class's full request conversion without a network
// and then look at what would have been sent. Anything else is answered 404 and recorded as
// unexpected.

import http from "node:http";
import type { AddressInfo } from "node:net";

export interface StubChatApi {
  /** Base URL; the vendors live under /openai, /anthropic and /google. */
  url: string;
  requests: Array<{ vendor: "openai" | "anthropic" | "google"; path: string; body: Record<string, unknown> }>;
  unexpected: string[];
  close(): Promise<void>;
}

export const CANNED_REPLY = "ok";

export async function startStubChatApi(): Promise<StubChatApi> {
  const requests: StubChatApi["requests"] = [];
  const unexpected: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = (request.url ?? "/").split("?")[0]!;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        unexpected.push(`${request.method} ${path}: body is not JSON`);
      }
      const send = (payload: unknown) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(payload));
      };
      if (request.method === "POST" && path === "/openai/chat/completions") {
        requests.push({ vendor: "openai", path, body });
        return send({
          id: "chatcmpl-stub",
          object: "chat.completion",
          created: 0,
          model: String(body.model ?? "stub"),
          choices: [{ index: 0, message: { role: "assistant", content: CANNED_REPLY, refusal: null }, finish_reason: "stop", logprobs: null }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
      }
      if (request.method === "POST" && path === "/anthropic/v1/messages") {
        requests.push({ vendor: "anthropic", path, body });
        return send({
          id: "msg_stub",
          type: "message",
          role: "assistant",
          model: String(body.model ?? "stub"),
          content: [{ type: "text", text: CANNED_REPLY }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        });
      }
      if (request.method === "POST" && /^\/google\/v1(beta)?\/models\/[^/]+:generateContent$/.test(path)) {
        requests.push({ vendor: "google", path, body });
        return send({
          candidates: [{ content: { role: "model", parts: [{ text: CANNED_REPLY }] }, finishReason: "STOP", index: 0 }],
          usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
        });
      }
      unexpected.push(`${request.method} ${path}`);
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: `stub has no ${request.method} ${path}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unexpected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// A minimal MCP Apps host for the browser test: it embeds the view in a sandboxed iframe under a
// deny-by-default CSP and speaks the Apps postMessage protocol through the package's own
// AppBridge. Tool calls from the view go to the real server through window.mcpCallTool, which
// the test process provides (an MCP SDK client connected to buildServer).

import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

type CallToolResult = Parameters<AppBridge["sendToolResult"]>[0];

interface OpenViewRequest {
  html: string;
  theme: "light" | "dark";
  tool: { name: string; description?: string; inputSchema: { type: "object"; [key: string]: unknown } };
  arguments: Record<string, unknown>;
  result: CallToolResult;
}

declare global {
  interface Window {
    mcpCallTool(params: unknown): Promise<CallToolResult>;
    openView(request: OpenViewRequest): Promise<void>;
    hostLog: string[];
  }
}

/** What hosts enforce by default (SEP-1865): nothing but the view's own inline script and style. */
const DEFAULT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'";

window.hostLog = [];

window.openView = async (request) => {
  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.title = "results view";
  iframe.style.cssText = "width: 960px; height: 900px; border: 0;";
  document.body.append(iframe);
  const target = iframe.contentWindow!;

  const bridge = new AppBridge(
    null,
    { name: "media-jobs-test-host", version: "1.0.0" },
    { serverTools: {}, logging: {} },
    { hostContext: { theme: request.theme, displayMode: "inline", platform: "web", toolInfo: { tool: request.tool } } },
  );
  bridge.oncalltool = async (params) => window.mcpCallTool(params);
  bridge.onloggingmessage = (params) => void window.hostLog.push(JSON.stringify(params));
  const initialized = new Promise<void>((resolve) => (bridge.oninitialized = () => resolve()));
  // Listen before the view's script runs: it sends ui/initialize as soon as it loads.
  await bridge.connect(new PostMessageTransport(target, target));

  const csp = `<meta http-equiv="Content-Security-Policy" content="${DEFAULT_CSP}">`;
  iframe.srcdoc = request.html.replace("<head>", `<head>${csp}`);
  await initialized;
  await bridge.sendToolInput({ arguments: request.arguments });
  await bridge.sendToolResult(request.result);
};

// Runs the Hamsa fake standalone for MCP-level end-to-end tests:
//   npx node test/fakes/hamsa-fake-main.ts [--port N]     (or HAMSA_FAKE_PORT=N)
// Prints one JSON line on stdout: {"baseUrl": "...", "apiKey": "...", "projectId": "..."}.
// Node runs this file with type stripping; the project's imports say ".js" (NodeNext), so a
// resolve hook maps a missing relative ".js" to its ".ts" source before anything is imported.

import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (/^\.{1,2}\/.*\.js$/.test(specifier)) return nextResolve(specifier.replace(/\.js$/, ".ts"), context);
      throw error;
    }
  },
});

const { startHamsaFake } = await import("./hamsa-fake.js");

function portFromArguments(argv: string[], env: NodeJS.ProcessEnv): number | undefined {
  const flag = argv.findIndex((argument) => argument === "--port" || argument.startsWith("--port="));
  const raw = flag >= 0 ? (argv[flag]!.includes("=") ? argv[flag]!.split("=")[1] : argv[flag + 1]) : env.HAMSA_FAKE_PORT;
  if (raw === undefined || raw === "") return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid port ${raw}`);
  return port;
}

const pendingPolls = process.env.HAMSA_FAKE_PENDING_POLLS ? Number(process.env.HAMSA_FAKE_PENDING_POLLS) : undefined;
const fake = await startHamsaFake({ port: portFromArguments(process.argv.slice(2), process.env), pendingPolls });
process.stdout.write(JSON.stringify({ baseUrl: fake.baseUrl, apiKey: fake.apiKey, projectId: fake.projectId }) + "\n");

const stop = () => void fake.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

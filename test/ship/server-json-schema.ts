// The parts of the MCP Registry's server.json schema (2025-12-11) that server.json uses, as zod,
// strict so a misspelt field fails: what the registry would refuse, refused here first.

import { z } from "zod";

export const SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

const exactVersion = z
  .string()
  .min(1)
  .max(255)
  .refine((version) => version !== "latest" && !/^[\^~<>=]|\.(x|\*)$|\s-\s/.test(version), "must be one exact version, not a range");
const keyValueInput = z.strictObject({
  name: z.string().min(1),
  description: z.string().min(1),
  isRequired: z.boolean().optional(),
  isSecret: z.boolean().optional(),
  format: z.enum(["string", "number", "boolean", "filepath"]).optional(),
  default: z.string().optional(),
});
const stdio = z.strictObject({ type: z.literal("stdio") });
const npmPackage = z.strictObject({
  registryType: z.literal("npm"),
  registryBaseUrl: z.literal("https://registry.npmjs.org"),
  identifier: z.string().min(1),
  version: exactVersion,
  runtimeHint: z.literal("npx").optional(),
  transport: stdio,
  environmentVariables: z.array(keyValueInput),
});
const mcpbPackage = z.strictObject({
  registryType: z.literal("mcpb"),
  identifier: z.url({ protocol: /^https$/ }),
  version: exactVersion.optional(),
  fileSha256: z.string().regex(/^[a-f0-9]{64}$/).optional(),
  transport: stdio,
});
export const serverJsonSchema = z.strictObject({
  $schema: z.literal(SCHEMA_URL),
  name: z.string().min(3).max(200).regex(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/),
  title: z.string().min(1).max(100).optional(),
  description: z.string().min(1).max(100),
  version: exactVersion,
  packages: z.tuple([npmPackage, mcpbPackage]),
});

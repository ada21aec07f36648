// Checkers for the JSON Schema subsets the model vendors document for function/tool
// parameters. Each returns the violations it finds (an empty list means the vendor takes the
// schema as is). Written from the vendors' documentation and the errors they are known to
// answer with; the test that uses them walks every schema of every tool.
//
// - OpenAI function calling / Structured Outputs "Supported schemas": the keywords listed
//   there; the root is an object (not anyOf); ≤ 10 levels of nesting, ≤ 5000 properties,
//   ≤ 1000 enum values. Strict mode further needs additionalProperties: false on every object
//   and every property listed in `required` (checked only with { strict: true }).
// - Anthropic tool input_schema: a JSON Schema whose root has type "object" and no
//   oneOf/anyOf/allOf at the top level (Anthropic answers 400 for those).
// - Gemini FunctionDeclaration.parameters: the OpenAPI 3.0 Schema subset — only the fields
//   of Gemini's Schema object (no additionalProperties, propertyNames, $ref/$defs, const,
//   oneOf/allOf/not), one type name per node, "properties"/"required" only on objects, an
//   object must declare at least one property ("should be non-empty for OBJECT type"), enum
//   values are non-empty strings of a string type, arrays declare items.

type Schema = Record<string, unknown>;

const JSON_TYPES = new Set(["string", "number", "integer", "boolean", "array", "object"]);

const OPENAI_KEYWORDS = new Set([
  "type", "description", "title", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf",
  "$ref", "$defs", "definitions", "pattern", "format", "multipleOf", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
  "minItems", "maxItems",
]);

const GEMINI_KEYWORDS = new Set([
  "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties", "required", "minProperties",
  "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
]);

/** Every sub-schema with its path: properties, items, anyOf/oneOf/allOf members, additionalProperties, $defs. */
function* walk(schema: unknown, path: string, depth = 0): Generator<{ node: Schema; path: string; depth: number }> {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) return;
  const node = schema as Schema;
  yield { node, path, depth };
  const properties = node.properties;
  if (properties && typeof properties === "object") {
    for (const [name, child] of Object.entries(properties as Schema)) yield* walk(child, `${path}.properties.${name}`, depth + 1);
  }
  if (node.items) yield* walk(node.items, `${path}.items`, depth + 1);
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const members = node[key];
    if (Array.isArray(members)) for (const [index, child] of members.entries()) yield* walk(child, `${path}.${key}[${index}]`, depth);
  }
  if (node.additionalProperties && typeof node.additionalProperties === "object") yield* walk(node.additionalProperties, `${path}.additionalProperties`, depth + 1);
  for (const key of ["$defs", "definitions"]) {
    const defs = node[key];
    if (defs && typeof defs === "object") for (const [name, child] of Object.entries(defs as Schema)) yield* walk(child, `${path}.${key}.${name}`, depth);
  }
}

function rootIsObject(schema: Schema, problems: string[]): void {
  if (schema.type !== "object") problems.push(`root: type must be "object", got ${JSON.stringify(schema.type)}`);
  for (const key of ["anyOf", "oneOf", "allOf", "not", "enum"]) if (key in schema) problems.push(`root: ${key} is not allowed at the top level`);
}

export function checkOpenAI(schema: Schema, options: { strict: boolean }): string[] {
  const problems: string[] = [];
  rootIsObject(schema, problems);
  let propertyCount = 0;
  for (const { node, path, depth } of walk(schema, "$")) {
    for (const key of Object.keys(node)) if (!OPENAI_KEYWORDS.has(key)) problems.push(`${path}: keyword "${key}" is not in OpenAI's supported subset`);
    if (Array.isArray(node.type) || (node.type !== undefined && !JSON_TYPES.has(String(node.type)) && node.type !== "null")) {
      problems.push(`${path}: type ${JSON.stringify(node.type)}`);
    }
    if (depth > 10) problems.push(`${path}: nested deeper than 10 levels`);
    if (Array.isArray(node.enum) && node.enum.length > 1000) problems.push(`${path}: more than 1000 enum values`);
    if (node.properties && typeof node.properties === "object") {
      const names = Object.keys(node.properties as Schema);
      propertyCount += names.length;
      if (options.strict) {
        if (node.additionalProperties !== false) problems.push(`${path}: strict mode needs additionalProperties: false`);
        const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
        for (const name of names) if (!required.has(name)) problems.push(`${path}: strict mode needs "${name}" in required`);
      }
    }
  }
  if (propertyCount > 5000) problems.push(`$: ${propertyCount} properties (OpenAI allows 5000)`);
  return problems;
}

export function checkAnthropic(schema: Schema): string[] {
  const problems: string[] = [];
  rootIsObject(schema, problems);
  for (const { node, path } of walk(schema, "$")) {
    if (Array.isArray(node.type) ? node.type.some((type) => !JSON_TYPES.has(String(type)) && type !== "null") : node.type !== undefined && !JSON_TYPES.has(String(node.type)) && node.type !== "null") {
      problems.push(`${path}: type ${JSON.stringify(node.type)} is not a JSON Schema type`);
    }
    if (typeof node.$ref === "string" && !node.$ref.startsWith("#")) problems.push(`${path}: external $ref ${node.$ref}`);
  }
  return problems;
}

export function checkGemini(schema: Schema): string[] {
  const problems: string[] = [];
  if (schema.type !== "object") problems.push(`root: type must be "object", got ${JSON.stringify(schema.type)}`);
  for (const { node, path } of walk(schema, "$")) {
    for (const key of Object.keys(node)) if (!GEMINI_KEYWORDS.has(key)) problems.push(`${path}: field "${key}" is not in Gemini's Schema`);
    if (node.anyOf === undefined) {
      if (typeof node.type !== "string" || !JSON_TYPES.has(node.type)) problems.push(`${path}: type must be one of ${[...JSON_TYPES].join(", ")}, got ${JSON.stringify(node.type)}`);
    }
    if (node.type !== "object" && ("properties" in node || "required" in node)) problems.push(`${path}: properties/required only allowed for OBJECT type`);
    if (node.type === "object" && (!node.properties || Object.keys(node.properties as Schema).length === 0)) {
      problems.push(`${path}: properties should be non-empty for OBJECT type`);
    }
    if (node.type === "array" && !node.items) problems.push(`${path}: an array must declare items`);
    if (node.enum !== undefined) {
      if (node.type !== "string") problems.push(`${path}: enum needs type string`);
      if (!Array.isArray(node.enum) || node.enum.some((value) => typeof value !== "string" || value === "")) problems.push(`${path}: enum values must be non-empty strings`);
    }
    if (Array.isArray(node.required)) {
      const declared = new Set(Object.keys((node.properties as Schema | undefined) ?? {}));
      for (const name of node.required as string[]) if (!declared.has(name)) problems.push(`${path}: required "${name}" is not a declared property`);
    }
  }
  return problems;
}

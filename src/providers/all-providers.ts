// Every adapter this server ships, built from config. Unconfigured vendors are still listed
// (their describe() says what to set), so an agent can tell the user how to enable them.

import { createHamsaAdapter } from "./hamsa/hamsa-adapter.js";
import { createHumanStandardAdapter } from "./humanstandard/humanstandard-adapter.js";
import { createHumeAdapter } from "./hume/hume-adapter.js";
import { createLocalAdapter } from "./local/local-adapter.js";
import type { AdapterDeps, ProviderAdapter } from "./provider.js";
import { createPyannoteAdapter } from "./pyannote/pyannote-adapter.js";

export function createAdapters(deps: AdapterDeps): ProviderAdapter[] {
  return [
    createLocalAdapter(deps),
    createPyannoteAdapter(deps),
    createHumeAdapter(deps),
    createHamsaAdapter(deps),
    createHumanStandardAdapter(deps),
  ];
}

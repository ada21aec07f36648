// Provider id → adapter. Unconfigured providers are listed (with what to set), not hidden.

import { UserInputError } from "../errors.js";
import { PROVIDER_IDS, type ProviderId } from "../jobs/job.js";
import type { ProviderAdapter } from "./provider.js";

export class ProviderRegistry {
  private readonly adapters = new Map<ProviderId, ProviderAdapter>();

  constructor(adapters: ProviderAdapter[]) {
    for (const adapter of adapters) this.adapters.set(adapter.id, adapter);
  }

  list(): ProviderAdapter[] {
    return PROVIDER_IDS.flatMap((id) => {
      const adapter = this.adapters.get(id);
      return adapter ? [adapter] : [];
    });
  }

  find(id: string): ProviderAdapter | undefined {
    return this.adapters.get(id as ProviderId);
  }

  require(id: string): ProviderAdapter {
    const adapter = this.find(id);
    if (!adapter) {
      throw new UserInputError(
        `unknown provider "${id}"; this server offers: ${this.list().map((entry) => entry.id).join(", ")} (see list_providers)`,
      );
    }
    return adapter;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.list().map((adapter) => adapter.close?.()));
  }
}

// The app with the real adapters, as the CLI runs it.

import { assembleApp, type App } from "./app.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { createAdapters } from "./providers/all-providers.js";
import { createMediaDownloader } from "./providers/http/media-downloader.js";
import { createVendorHttpClient } from "./providers/http/vendor-http-client.js";

export function createDefaultApp(config: Config, options: { logger?: Logger } = {}): Promise<App> {
  return assembleApp(
    config,
    ({ logger, store }) =>
      createAdapters({
        config,
        logger,
        voiceprints: store.voiceprints,
        replayGuard: store.replayGuard,
        rateWindow: store.rateWindow,
        jobParts: {
          put: (jobId, name, data, contentType) => store.putResultPart(jobId, name, typeof data === "string" ? Buffer.from(data, "utf8") : data, contentType),
          get: async (jobId, name) => (await store.getResultPart(jobId, name))?.data,
          list: async (jobId) => (await store.listResultParts(jobId)).map((part) => part.name),
        },
        downloader: createMediaDownloader({ allowPrivate: config.allowPrivateUrls, timeoutMs: config.httpTimeoutMs }),
        createHttpClient: createVendorHttpClient,
      }),
    options,
  );
}

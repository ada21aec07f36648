// Small undici helpers shared by the vendor client and the media downloader.

/** The error code undici or Node put on an error or its cause ("ECONNREFUSED", "UND_ERR_…"). */
export function errorCode(error: unknown): string {
  const direct = (error as { code?: unknown } | undefined)?.code;
  if (typeof direct === "string") return direct;
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof cause === "string" ? cause : "";
}

/**
 * Drops a response body we will not read (any more), releasing its connection. undici reports
 * the abort as an 'error' event on the body; with no listener that would surface as an
 * unhandled error in the process.
 */
export function discardBody(body: NodeJS.ReadableStream & { destroy(): void; readableEnded?: boolean }): void {
  if (body.readableEnded) return;
  body.on("error", () => undefined);
  body.destroy();
}

// HumanStandard webhooks: `X-HS-Signature: sha256=<hex HMAC-SHA256(raw body, secret)>`.
// The signature covers no timestamp, so replays are refused by remembering body hashes.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { sanitizeVendorText } from "../../condense/format.js";
import { ForbiddenError, UserInputError } from "../../errors.js";
import type { ReplayGuard, WebhookEvent, WebhookRequest } from "../provider.js";
import { humanStandardWebhookSchema } from "./humanstandard-api.js";

const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

export function signHumanStandardBody(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}

/** The header checks that need no body: a secret to check against and a well-formed signature. */
export function checkHumanStandardWebhookHeaders(headers: Record<string, string | undefined>, secret: string | undefined): void {
  if (!secret) throw new ForbiddenError("HumanStandard webhooks cannot be verified: set HUMANSTANDARD_WEBHOOK_SECRET");
  const header = headerOf(headers, "x-hs-signature");
  if (!header) throw new ForbiddenError("HumanStandard webhook rejected: X-HS-Signature header missing");
  if (!/^sha256=[0-9a-f]{64}$/i.test(header.trim())) throw new ForbiddenError("HumanStandard webhook rejected: X-HS-Signature is not sha256=<hex>");
}

export async function verifyHumanStandardWebhook(
  request: WebhookRequest,
  secret: string | undefined,
  replayGuard: ReplayGuard,
): Promise<WebhookEvent> {
  if (!secret) throw new ForbiddenError("HumanStandard webhooks cannot be verified: set HUMANSTANDARD_WEBHOOK_SECRET");
  const header = headerOf(request.headers, "x-hs-signature");
  if (!header) throw new ForbiddenError("HumanStandard webhook rejected: X-HS-Signature header missing");
  const expected = Buffer.from(signHumanStandardBody(request.rawBody, secret));
  const given = Buffer.from(header.trim().toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ForbiddenError("HumanStandard webhook rejected: signature does not match the body");
  }
  const bodyHash = createHash("sha256").update(request.rawBody).digest("hex");
  let decoded: unknown;
  try {
    decoded = JSON.parse(request.rawBody.toString("utf8"));
  } catch {
    throw new UserInputError("HumanStandard webhook body is not JSON");
  }
  const parsed = humanStandardWebhookSchema.safeParse(decoded);
  if (!parsed.success) throw new UserInputError("HumanStandard webhook body lacks event or job_id");
  if (!(await replayGuard.firstSeen(`humanstandard:${bodyHash}`, REPLAY_WINDOW_MS))) {
    throw new ForbiddenError("HumanStandard webhook rejected: this delivery was already accepted (replay)");
  }
  const event = parsed.data;
  const nativeId = event.job_id;
  switch (event.event) {
    case "job.complete": {
      const summary = event.summary;
      const done = summary?.processed ?? (summary?.succeeded != null || summary?.failed != null ? (summary?.succeeded ?? 0) + (summary?.failed ?? 0) : undefined);
      return {
        nativeId,
        snapshot: {
          nativeId,
          status: "succeeded",
          providerStatus: "complete",
          ...(event.completed_at ? { endedAt: event.completed_at } : {}),
          ...(done != null ? { progress: { done, ...(summary?.total != null ? { total: summary.total } : {}), unit: "tracks" } } : {}),
        },
      };
    }
    case "job.failed": {
      const reason = typeof event.error === "string" ? event.error : (event.error?.message ?? event.message ?? undefined);
      return {
        nativeId,
        snapshot: {
          nativeId,
          status: "failed",
          providerStatus: "failed",
          ...(event.completed_at ? { endedAt: event.completed_at } : {}),
          error: { code: "provider_failed", message: reason ? `HumanStandard: ${sanitizeVendorText(reason, 160)}` : "HumanStandard reported the job failed" },
        },
      };
    }
    case "track.complete":
      // One track finished: progress at most, never a terminal state. The event carries no
      // counts in the docs; when a future payload does, use them.
      return {
        nativeId,
        snapshot: {
          nativeId,
          status: "running",
          providerStatus: "processing",
          ...(event.processed != null ? { progress: { done: event.processed, ...(event.total != null ? { total: event.total } : {}), unit: "tracks" } } : {}),
        },
      };
    default:
      // An event we do not know: a hint to re-read the job through the API.
      return { nativeId };
  }
}

function headerOf(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

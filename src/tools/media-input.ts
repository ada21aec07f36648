// The `media` items of start_job: validated at the edge, local paths resolved under the
// allowed directories before any adapter sees them.

import { z } from "zod";
import { MediaJobsError, UserInputError } from "../errors.js";
import { escapeForDisplay } from "../condense/format.js";
import type { MediaInput, ProviderInfo } from "../providers/provider.js";
import { resolveAllowedFile } from "../security/allowed-paths.js";
import { isPublicAddress, parseHostAsIp } from "../security/public-address.js";

export const MAX_MEDIA_ITEMS = 10_000;

export const mediaItemSchema = z
  .object({
    url: z.string().min(1).max(8_192).optional().describe("Public https URL"),
    path: z.string().min(1).max(4_096).optional().describe("File in an allowed dir"),
    text: z.string().min(1).max(1_000_000).optional().describe("Raw text"),
    id: z.string().min(1).max(200).optional().describe("Item id, with url"),
    // Listed over HTTP only: over stdio a file is a {path}, and tools/list has a token budget.
    upload: z.string().min(1).max(100).optional().describe("create_upload id").meta({ transports: ["http"] }),
  })
  .strict()
  .superRefine((item, context) => {
    const given = [item.url, item.path, item.text, item.upload].filter((value) => value !== undefined).length;
    if (given !== 1) {
      context.addIssue({ code: "custom", message: "give exactly one of url, path or text in each media item (or upload, over HTTP)" });
    }
    if (item.id !== undefined && item.url === undefined) {
      context.addIssue({ code: "custom", message: "id goes with url (an item id for a URL)" });
    }
    if (item.url !== undefined && !/^(https?|media):\/\//i.test(item.url)) {
      context.addIssue({ code: "custom", message: "url must start with https:// (or media:// for pyannoteAI uploads)" });
    }
  });

export type MediaItem = z.infer<typeof mediaItemSchema>;

/** Which kind of input a validated item is (an upload reaches the adapter as a local file). */
export function mediaKindOf(item: MediaItem): MediaInput["kind"] {
  if (item.path !== undefined || item.upload !== undefined) return "path";
  if (item.text !== undefined) return "text";
  if (item.id !== undefined) return "id";
  return "url";
}

/**
 * What start_job can know about a URL before any job exists: whether it parses, whether the
 * provider takes its scheme, and whether its host is an IP literal (in any notation WHATWG URL
 * parsing accepts: 127.1, 0x7f000001, 2130706433, [::ffff:127.0.0.1]…) or a name that is
 * loopback by definition (localhost). Names are still checked when a download connects.
 */
export function checkMediaUrls(provider: ProviderInfo, items: MediaItem[], options: { allowPrivateAddresses: boolean }): void {
  for (const [position, item] of items.entries()) {
    if (item.url === undefined) continue;
    const problem = urlProblem(provider, item.url, options);
    if (problem) throw new UserInputError(`media[${position}]: ${problem}`);
  }
}

function urlProblem(provider: ProviderInfo, raw: string, options: { allowPrivateAddresses: boolean }): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${escapeForDisplay(raw.slice(0, 100))}" is not a URL; give a public https:// URL`;
  }
  const scheme = url.protocol.replace(/:$/, "").toLowerCase();
  if (!provider.urlSchemes.includes(scheme)) {
    return `${provider.name} takes ${provider.urlSchemes.map((name) => `${name}://`).join(" or ")} URLs, not ${escapeForDisplay(scheme.slice(0, 20))}://`;
  }
  if (scheme === "media") return undefined;
  if (url.username || url.password) return "URLs with credentials (user:password@) are not accepted; use a URL that needs none, e.g. a presigned https URL";
  if (options.allowPrivateAddresses) return undefined;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const ip = parseHostAsIp(url.hostname);
  if (ip && !isPublicAddress(ip)) {
    return `the URL points to a private or reserved address (${ip}); only public URLs can be fetched`;
  }
  if (host === "localhost" || host.endsWith(".localhost")) return "the URL points to localhost; only public URLs can be fetched";
  return undefined;
}

/**
 * The items as adapters take them: paths resolved under the allowed dirs, uploads taken (once)
 * through `takeUpload`. When an item fails, the uploads already taken are given back.
 */
export async function resolveMedia(
  items: MediaItem[],
  allowedDirs: () => Promise<string[]>,
  uploads?: { take(id: string): Promise<MediaInput>; giveBack(id: string): Promise<void> },
): Promise<MediaInput[]> {
  const resolved: MediaInput[] = [];
  const taken: string[] = [];
  let dirs: string[] | undefined;
  try {
    for (const [position, item] of items.entries()) {
      const kind = mediaKindOf(item);
      if (item.upload !== undefined) {
        if (!uploads) throw new UserInputError(`media[${position}]: {upload} is for HTTP mode (create_upload); here give the file as {path}`);
        if (taken.includes(item.upload)) throw new UserInputError(`media[${position}]: upload ${item.upload.slice(0, 40)} is given twice; an upload is used once`);
        try {
          resolved.push(await uploads.take(item.upload));
        } catch (error) {
          if (error instanceof MediaJobsError) throw Object.assign(error, { message: `media[${position}]: ${error.message}` });
          throw error;
        }
        taken.push(item.upload);
      } else if (kind === "path") {
        dirs ??= await allowedDirs();
        try {
          const file = await resolveAllowedFile(item.path!, dirs);
          resolved.push({ kind: "path", path: file.path, name: file.name, bytes: file.bytes });
        } catch (error) {
          if (error instanceof UserInputError) throw new UserInputError(`media[${position}]: ${error.message}`);
          throw error;
        }
      } else if (kind === "text") resolved.push({ kind: "text", text: item.text! });
      else if (kind === "id") resolved.push({ kind: "id", id: item.id!, url: item.url });
      else resolved.push({ kind: "url", url: item.url! });
    }
  } catch (error) {
    await Promise.allSettled(taken.map((id) => uploads!.giveBack(id)));
    throw error;
  }
  return resolved;
}

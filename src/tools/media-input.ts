// The `media` items of start_job: validated at the edge, local paths resolved under the
// allowed directories before any adapter sees them.

import { z } from "zod";
import { UserInputError } from "../errors.js";
import type { MediaInput } from "../providers/provider.js";
import { resolveAllowedFile } from "../security/allowed-paths.js";

export const MAX_MEDIA_ITEMS = 10_000;

export const mediaItemSchema = z
  .object({
    url: z.string().min(1).max(8_192).optional().describe("Public https URL of an audio/video file (pyannote also takes media://…)"),
    path: z.string().min(1).max(4_096).optional().describe("Local file under an allowed directory (MEDIA_JOBS_ALLOWED_DIRS or the client's roots)"),
    text: z.string().min(1).max(1_000_000).optional().describe("Raw text (Hume language/ner models)"),
    id: z.string().min(1).max(200).optional().describe("Your id for this item (HumanStandard item_id); goes with url"),
  })
  .strict()
  .superRefine((item, context) => {
    const given = [item.url, item.path, item.text].filter((value) => value !== undefined).length;
    if (given !== 1) {
      context.addIssue({ code: "custom", message: "give exactly one of url, path or text in each media item" });
    }
    if (item.id !== undefined && item.url === undefined) {
      context.addIssue({ code: "custom", message: "id goes with url (an item id for a URL)" });
    }
    if (item.url !== undefined && !/^(https?|media):\/\//i.test(item.url)) {
      context.addIssue({ code: "custom", message: "url must start with https:// (or media:// for pyannoteAI uploads)" });
    }
  });

export type MediaItem = z.infer<typeof mediaItemSchema>;

/** Which kind of input a validated item is. */
export function mediaKindOf(item: MediaItem): MediaInput["kind"] {
  if (item.path !== undefined) return "path";
  if (item.text !== undefined) return "text";
  if (item.id !== undefined) return "id";
  return "url";
}

export async function resolveMedia(items: MediaItem[], allowedDirs: () => Promise<string[]>): Promise<MediaInput[]> {
  const resolved: MediaInput[] = [];
  let dirs: string[] | undefined;
  for (const [position, item] of items.entries()) {
    const kind = mediaKindOf(item);
    if (kind === "path") {
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
  return resolved;
}

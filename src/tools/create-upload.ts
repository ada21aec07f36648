// create_upload (HTTP mode only): a remote user's `path` means nothing to this server, so a
// file comes as one PUT to a short-lived, single-use URL, then goes into start_job as {upload}.

import { z } from "zod";
import { UserInputError } from "../errors.js";
import { formatMegabytes } from "../uploads/upload-service.js";
import { defineTool, structuredResult } from "./define-tool.js";

export const createUploadTool = defineTool({
  name: "create_upload",
  title: "Create upload",
  description: "Upload URL for a local file (one PUT, expires). Then start_job with media [{upload: upload_id}].",
  inputSchema: z
    .object({
      filename: z.string().min(1).max(200).describe("e.g. talk.mp3"),
    })
    .strict(),
  outputSchema: z.object({
    upload_id: z.string(),
    url: z.string(),
    method: z.enum(["PUT"]),
    expires_at: z.string(),
    max_bytes: z.number(),
  }),
  annotations: {
    title: "Create upload",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  transports: ["http"],
  async handler(input, { app, session, extra }) {
    const created = await app.uploads.create(session.owner ?? "", input.filename, app.config.publicUrl ?? originOf(extra.requestInfo?.headers.host));
    const expiresAt = new Date(created.expiresAt).toISOString();
    const text =
      `PUT the file to this URL once before ${expiresAt} (≤ ${formatMegabytes(created.maxBytes)}): curl -T ${shellQuote(input.filename)} '${created.url}'\n` +
      `Then start_job with media [{"upload":"${created.id}"}].`;
    return structuredResult(text, { upload_id: created.id, url: created.url, method: "PUT", expires_at: expiresAt, max_bytes: created.maxBytes });
  },
});

/** Without MEDIA_JOBS_PUBLIC_URL: the address the client reached this server by. */
function originOf(host: string | string[] | undefined): string {
  const name = Array.isArray(host) ? host[0] : host;
  if (!name || !/^[A-Za-z0-9.\-:[\]]+$/.test(name)) {
    throw new UserInputError("this server does not know its own address: the operator sets MEDIA_JOBS_PUBLIC_URL");
  }
  return `http://${name}`;
}

function shellQuote(name: string): string {
  return /^[A-Za-z0-9._-]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`;
}

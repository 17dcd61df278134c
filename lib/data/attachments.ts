// Files that came with customer mail, downloaded by whoever may see their issue (getIssue lists them).
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import { can } from "@/lib/auth/roles";
import { requireVisibleIssue } from "./issues";

/** The attachment's bytes, after the same checks as its issue (404 for anyone who may not see it). */
export async function getAttachment(actor: Actor | null, id: string) {
  if (!actor) throw new AppError("unauthorized", "Sign in to download attachments.");
  const row = await db().attachment.findUnique({
    where: { id },
    select: {
      filename: true,
      contentType: true,
      size: true,
      data: true,
      noteId: true,
      note: { select: { internal: true } },
      issue: { select: { iid: true, project: { select: { fullPath: true } } } },
    },
  });
  if (!row) throw notFound("Attachment");
  // not_found when the actor may not see the issue (non-member, Guest on a confidential issue).
  const { role } = await requireVisibleIssue(actor, row.issue.project.fullPath, row.issue.iid, "issue:read").catch(() => {
    throw notFound("Attachment");
  });
  // A file on an internal note is as private as the note.
  if (row.note?.internal && !can(role, "issue:read_confidential")) throw notFound("Attachment");
  return { filename: row.filename, contentType: row.contentType, size: row.size, data: row.data };
}

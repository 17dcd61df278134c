// Files that came with customer mail: listed on their issue, downloaded by whoever may see that issue.
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import { getIssue } from "./issues";

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
  // Throws not_found when the actor may not see the issue (non-member, Guest on a confidential issue).
  const issue = await getIssue(actor, row.issue.project.fullPath, row.issue.iid).catch(() => {
    throw notFound("Attachment");
  });
  // A file on an internal note is as private as the note.
  if (row.noteId && !issue.notes.some((n) => n.id === row.noteId)) throw notFound("Attachment");
  return { filename: row.filename, contentType: row.contentType, size: row.size, data: row.data };
}

export async function listAttachments(issueId: number) {
  return db().attachment.findMany({
    where: { issueId },
    orderBy: { createdAt: "asc" },
    select: { id: true, filename: true, contentType: true, size: true, noteId: true },
  });
}

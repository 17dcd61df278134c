// Notes (comments) on issues: public comments and internal notes by team members. On a Service Desk issue a
// public comment is also mailed to the issue's subscribed external participants (template new_note, sent as
// "<commenter> via <desk>"), in the same transaction; internal notes never are.
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { mailParticipants } from "@/lib/service-desk/notifications";
import { renderUserMarkdown } from "@/lib/service-desk/thread-html";
import { addNoteSchema, previewMarkdownSchema, type AddNoteInput } from "@/lib/schemas";
import { recordIssueEvent } from "./issue-events";
import { requireVisibleIssue } from "./issues";
import { markIssueTodosDone } from "./todos";
import { fieldErrorsOf } from "./validation";

export async function addNote(actor: Actor | null, projectPath: string, iid: number, input: Omit<AddNoteInput, "projectPath" | "iid">) {
  const parsed = addNoteSchema.safeParse({ ...input, projectPath, iid });
  const issue = await requireVisibleIssue(actor, projectPath, iid, parsed.success && parsed.data.internal ? "issue:internal_note" : "issue:comment");
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  return db().$transaction(
    async (tx) => {
      const note = await tx.note.create({
        data: { issueId: issue.id, authorId: actor!.id, body: parsed.data.body, internal: parsed.data.internal },
        select: { id: true, body: true, internal: true, createdAt: true },
      });
      // Activity bumps the issue, so "recently updated" sorting reflects conversations.
      // A public team comment answers the customer; an internal note does not.
      await tx.issue.update({ where: { id: issue.id }, data: { updatedAt: new Date(), ...(note.internal ? {} : { awaitingReply: false }) } });
      const outboxIds = note.internal
        ? []
        : await mailParticipants(tx, issue.id, "new_note", { NOTE_TEXT: note.body }, { author: actor! });
      // Colleagues hear of it (after the response); the commenter's own To-Dos on the issue are done.
      const eventId = await recordIssueEvent(tx, { issueId: issue.id, kind: "comment", noteId: note.id, actorId: actor!.id });
      await markIssueTodosDone(tx, issue.id, actor!.id);
      return { ...note, outboxIds, eventIds: [eventId] };
    },
    { timeout: 30_000 },
  );
}

/**
 * The composer's preview: `body` rendered exactly as the thread will show it. Only for people who may comment
 * on the issue (404 for anyone who may not see it).
 */
export async function previewNote(actor: Actor | null, projectPath: string, iid: number, body: string): Promise<string> {
  const parsed = previewMarkdownSchema.safeParse({ projectPath, iid, body });
  await requireVisibleIssue(actor, projectPath, iid, "issue:comment");
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  return renderUserMarkdown(parsed.data.body);
}

// Notes (comments) on issues: public comments and internal notes by team members. On a Service Desk issue a
// public comment is also mailed to the issue's subscribed external participants (template new_note, sent as
// "<commenter> via <desk>"), in the same transaction; internal notes never are.
import type { Actor } from "@/lib/auth/actor";
import { db, type Db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { mailParticipants } from "@/lib/service-desk/notifications";
import { renderUserMarkdown } from "@/lib/service-desk/thread-html";
import { addNoteSchema, previewMarkdownSchema, type AddNoteInput } from "@/lib/schemas";
import { recordIssueEvent } from "./issue-events";
import { requireVisibleIssue } from "./issues";
import { markIssueTodosDone } from "./todos";
import { fieldErrorsOf } from "./validation";

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/**
 * A team member's note, written in the caller's transaction: the issue bumped (a public note answers the
 * customer), the customer's mail queued for a public note, colleagues' notification event recorded, the
 * author's To-Dos on the issue done. For addNote and for a member's reply by email (intake), which checked the
 * member's access already.
 */
export async function writeTeamNote(tx: Tx, issueId: number, author: { id: string; email: string; username: string; name: string | null }, input: { body: string; internal: boolean }) {
  const note = await tx.note.create({
    data: { issueId, authorId: author.id, body: input.body, internal: input.internal },
    select: { id: true, body: true, internal: true, createdAt: true },
  });
  // Activity bumps the issue, so "recently updated" sorting reflects conversations.
  await tx.issue.update({ where: { id: issueId }, data: { updatedAt: new Date(), ...(note.internal ? {} : { awaitingReply: false }) } });
  const outboxIds = note.internal ? [] : await mailParticipants(tx, issueId, "new_note", { NOTE_TEXT: note.body }, { author });
  const eventId = await recordIssueEvent(tx, { issueId, kind: "comment", noteId: note.id, actorId: author.id });
  await markIssueTodosDone(tx, issueId, author.id);
  return { ...note, outboxIds, eventIds: [eventId] };
}

export async function addNote(actor: Actor | null, projectPath: string, iid: number, input: Omit<AddNoteInput, "projectPath" | "iid">) {
  const parsed = addNoteSchema.safeParse({ ...input, projectPath, iid });
  const issue = await requireVisibleIssue(actor, projectPath, iid, parsed.success && parsed.data.internal ? "issue:internal_note" : "issue:comment");
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  return db().$transaction((tx) => writeTeamNote(tx, issue.id, actor!, parsed.data), { timeout: 30_000 });
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

// Issues: create (iid allocated atomically), open one with its notes, close/reopen (lists: issue-list.ts).
import type { Actor } from "@/lib/auth/actor";
import { can, type ProjectAction } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import type { IssueState } from "@/lib/generated/prisma/enums";
import { createIssueSchema, type CreateIssueInput } from "@/lib/schemas";
import { mailParticipants } from "@/lib/service-desk/notifications";
import { loadProjectAccess, requireProject } from "./access";
import { addressRule, routeLabel } from "./address-visibility";
import { markIssueTodosDone } from "./todos";
import { fieldErrorsOf } from "./validation";

// No email: who wrote what is shown by name; members' addresses are for Maintainers (members.ts).
const userSelect = { id: true, username: true, name: true } as const;

export async function createIssue(actor: Actor | null, projectPath: string, input: Omit<CreateIssueInput, "projectPath">) {
  const { project } = await requireProject(actor, projectPath, "issue:create");
  const parsed = createIssueSchema.safeParse({ ...input, projectPath });
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  const { title, description, confidential } = parsed.data;
  return db().$transaction(async (tx) => {
    // UPDATE … RETURNING takes the project row lock: concurrent creates get consecutive iids, never the same one.
    const { lastIssueIid: iid } = await tx.project.update({
      where: { id: project.id },
      data: { lastIssueIid: { increment: 1 } },
      select: { lastIssueIid: true },
    });
    return tx.issue.create({
      data: { projectId: project.id, iid, title, description, confidential, authorId: actor!.id },
      select: { id: true, iid: true, title: true, confidential: true },
    });
  });
}

/** Inbound mails that became this issue or one of its notes: how routing matched them (Reporter and up). */
const threadedEmailStatuses = ["created_issue", "added_note"];

export interface GetIssueOptions {
  /**
   * Load only the latest `latestNotes` notes (system notes included) instead of the whole thread: the issue
   * page of a long discussion shows those and a link to the rest. Unset: every note.
   */
  latestNotes?: number;
}

/**
 * One issue with the notes and attachments the actor may see; 404 for what the actor may not see. For
 * Reporters and up it also carries the mails that created the issue or added notes (`emails`, with `route`
 * naming how each was routed), so the thread can say why each landed here. Addresses follow address-visibility.ts:
 * customers' masked below Reporter, the project's own (in routing reasons) described below Maintainer. `notes` is oldest first; `commentCount` counts every visible non-system note
 * of the thread and `earlierNotes` says whether `latestNotes` left older notes out. Attachments and mails
 * come only for the description and the notes returned. A fixed number of queries, whatever the length of
 * the thread, and with `latestNotes` a bounded amount of data too.
 */
export async function getIssue(actor: Actor | null, projectPath: string, iid: number, options: GetIssueOptions = {}) {
  const { project, role } = await loadProjectAccess(actor, projectPath);
  if (!Number.isInteger(iid) || iid < 1) throw notFound("Issue");
  const team = can(role, "issue:read_confidential");
  const latest = options.latestNotes;
  if (latest !== undefined && (!Number.isInteger(latest) || latest < 1)) throw new AppError("bad_request", "latestNotes must be a positive integer.");
  const visibleNotes = team ? {} : { internal: false };
  // An empty list matches nothing: Guests never learn addresses or Message-IDs.
  const emailWhere = { status: { in: team ? threadedEmailStatuses : [] } };
  const emailSelect = { id: true, status: true, noteId: true, reason: true, messageId: true, fromAddress: true, receivedAt: true } as const;
  const attachmentSelect = { id: true, filename: true, contentType: true, size: true, noteId: true } as const;
  const issue = await db().issue.findUnique({
    where: { projectId_iid: { projectId: project.id, iid } },
    select: {
      id: true,
      iid: true,
      title: true,
      description: true,
      state: true,
      confidential: true,
      externalAuthor: true,
      awaitingReply: true,
      createdAt: true,
      updatedAt: true,
      closedAt: true,
      author: { select: userSelect },
      closedBy: { select: userSelect },
      _count: { select: { notes: { where: { ...visibleNotes, system: false } } } },
      // Windowed: newest first with one extra row, which only tells whether older notes exist.
      notes: {
        where: visibleNotes,
        orderBy: latest ? [{ createdAt: "desc" }, { id: "desc" }] : [{ createdAt: "asc" }, { id: "asc" }],
        ...(latest ? { take: latest + 1 } : {}),
        select: {
          id: true,
          body: true,
          internal: true,
          system: true,
          externalAuthor: true,
          createdAt: true,
          author: { select: userSelect },
          // Per note, so a window loads the files and mails of its notes only; a file on an internal note
          // is as private as the note, which the notes' own filter already ensures.
          attachments: { orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: attachmentSelect },
          inboundEmails: { where: emailWhere, orderBy: [{ receivedAt: "asc" }, { id: "asc" }], select: emailSelect },
        },
      },
      attachments: { where: { noteId: null }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: attachmentSelect },
      inboundEmails: { where: { ...emailWhere, noteId: null }, orderBy: [{ receivedAt: "asc" }, { id: "asc" }], select: emailSelect },
    },
  });
  if (!issue || (issue.confidential && !team) || !can(role, "issue:read"))
    throw notFound("Issue");
  const { inboundEmails, attachments, _count, notes: loaded, externalAuthor, ...rest } = issue;
  const addresses = addressRule(role);
  const earlierNotes = latest !== undefined && loaded.length > latest;
  const shown = latest ? loaded.slice(0, latest).reverse() : loaded;
  const notes = shown.map((n) => ({
    id: n.id,
    body: n.body,
    internal: n.internal,
    system: n.system,
    externalAuthor: addresses.customer(n.externalAuthor),
    createdAt: n.createdAt,
    author: n.author,
  }));
  const emails = team ? [...inboundEmails, ...shown.flatMap((note) => note.inboundEmails)] : [];
  return {
    ...rest,
    externalAuthor: addresses.customer(externalAuthor),
    notes,
    commentCount: _count.notes,
    earlierNotes,
    attachments: [...attachments, ...shown.flatMap((note) => note.attachments)],
    emails: emails.map((email) => ({
      ...email,
      fromAddress: addresses.customer(email.fromAddress),
      reason: addresses.routingReason(email.reason),
      route: routeLabel(email.reason),
    })),
  };
}

export type IssueDetail = Awaited<ReturnType<typeof getIssue>>;

/**
 * The issue `iid` after checking `action` and that the actor may see it (404 like getIssue), without loading
 * its thread: for writes on an issue, which run on every comment.
 */
export async function requireVisibleIssue(actor: Actor | null, projectPath: string, iid: number, action: ProjectAction) {
  const { project, role } = await requireProject(actor, projectPath, action);
  const issue = Number.isInteger(iid) && iid > 0
    ? await db().issue.findUnique({ where: { projectId_iid: { projectId: project.id, iid } }, select: { id: true, confidential: true } })
    : null;
  if (!issue || (issue.confidential && !can(role, "issue:read_confidential"))) throw notFound("Issue");
  return { id: issue.id, project, role };
}

/** Closes or reopens an issue and records a system note; doing what is already done changes nothing. */
export async function setIssueState(actor: Actor | null, projectPath: string, iid: number, action: "close" | "reopen") {
  const { project } = await requireVisibleIssue(actor, projectPath, iid, "issue:update_state");
  const target: IssueState = action === "close" ? "CLOSED" : "OPENED";
  return db().$transaction(async (tx) => {
    const changed = await tx.issue.updateMany({
      where: { projectId: project.id, iid, state: { not: target } },
      data: target === "CLOSED" ? { state: target, closedAt: new Date(), closedById: actor!.id } : { state: target, closedAt: null, closedById: null },
    });
    if (changed.count === 0) return { iid, state: target, changed: false, outboxIds: [] as string[] };
    const issue = await tx.issue.findUniqueOrThrow({ where: { projectId_iid: { projectId: project.id, iid } }, select: { id: true } });
    await tx.note.create({
      data: { issueId: issue.id, authorId: actor!.id, body: action === "close" ? "closed" : "reopened", system: true },
    });
    // Service Desk: the customer hears that their request was closed, when the project wants that.
    const outboxIds = action === "close" ? await mailParticipants(tx, issue.id, "issue_closed") : [];
    // Closing it is dealing with it: whoever closed it has nothing left to do there.
    if (action === "close") await markIssueTodosDone(tx, issue.id, actor!.id);
    return { iid, state: target, changed: true, outboxIds };
  });
}

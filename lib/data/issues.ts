// Issues: create (iid allocated atomically), list with state tabs, open one with its notes, close/reopen.
import type { Actor } from "@/lib/auth/actor";
import { can, type ProjectAction } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import type { IssueState } from "@/lib/generated/prisma/enums";
import { createIssueSchema, type CreateIssueInput } from "@/lib/schemas";
import { SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { mailParticipants } from "@/lib/service-desk/notifications";
import { loadProjectAccess, requireProject } from "./access";
import { fieldErrorsOf } from "./validation";

export type StateFilter = "opened" | "closed" | "all";

const userSelect = { id: true, username: true, name: true, email: true } as const;

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

export interface IssueListItem {
  iid: number;
  title: string;
  state: IssueState;
  confidential: boolean;
  author: { username: string; name: string | null };
  externalAuthor: string | null;
  notes: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The project's issues the actor may see (confidential ones only for Reporter and up), with tab counts. */
export async function listIssues(
  actor: Actor | null,
  projectPath: string,
  state: StateFilter = "opened",
  options: { serviceDesk?: boolean } = {},
) {
  const { project, role } = await requireProject(actor, projectPath, "issue:read");
  const visible = {
    projectId: project.id,
    ...(can(role, "issue:read_confidential") ? {} : { confidential: false }),
    ...(options.serviceDesk ? { authorId: SUPPORT_BOT_ID } : {}),
  };
  const [rows, counts] = await Promise.all([
    db().issue.findMany({
      where: { ...visible, ...(state === "all" ? {} : { state: state === "opened" ? "OPENED" : "CLOSED" }) },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: 100,
      select: {
        iid: true,
        title: true,
        state: true,
        confidential: true,
        externalAuthor: true,
        createdAt: true,
        updatedAt: true,
        author: { select: { username: true, name: true } },
        _count: { select: { notes: { where: { system: false, ...(can(role, "issue:read_confidential") ? {} : { internal: false }) } } } },
      },
    }),
    db().issue.groupBy({ by: ["state"], where: visible, _count: { _all: true } }),
  ]);
  const count = (s: IssueState) => counts.find((c) => c.state === s)?._count._all ?? 0;
  return {
    issues: rows.map(({ _count, ...row }): IssueListItem => ({ ...row, notes: _count.notes })),
    counts: { opened: count("OPENED"), closed: count("CLOSED"), all: count("OPENED") + count("CLOSED") },
  };
}

/** One issue with the notes the actor may see; 404 for what the actor may not see. */
export async function getIssue(actor: Actor | null, projectPath: string, iid: number) {
  const { project, role } = await loadProjectAccess(actor, projectPath);
  if (!Number.isInteger(iid) || iid < 1) throw notFound("Issue");
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
      createdAt: true,
      updatedAt: true,
      closedAt: true,
      author: { select: userSelect },
      closedBy: { select: userSelect },
      notes: {
        where: can(role, "issue:read_confidential") ? {} : { internal: false },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        select: {
          id: true,
          body: true,
          internal: true,
          system: true,
          externalAuthor: true,
          createdAt: true,
          author: { select: userSelect },
        },
      },
    },
  });
  if (!issue || (issue.confidential && !can(role, "issue:read_confidential")) || !can(role, "issue:read"))
    throw notFound("Issue");
  return issue;
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
    return { iid, state: target, changed: true, outboxIds };
  });
}

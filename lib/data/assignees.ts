// Assignees of an issue: who may be assigned (project members who can see the issue) and setting them, with
// GitLab-style system notes ("assigned to @alice", "unassigned @bob").
import type { Actor } from "@/lib/auth/actor";
import { can } from "@/lib/auth/roles";
import { db, type Db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { requireVisibleIssue } from "./issues";
import { recordIssueEvent } from "./issue-events";
import { lockIssue } from "./labels";

export interface AssigneeView {
  id: string;
  username: string;
  name: string | null;
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

const userSelect = { id: true, username: true, name: true } as const;

const byUsername = (a: { username: string }, b: { username: string }) => a.username.localeCompare(b.username);

/**
 * Members who may be assigned to an issue: every (human) member of the project, or only Reporter and up when
 * the issue is confidential — an assignee must be able to open what they are assigned to.
 */
export async function assignableMembersOf(tx: Pick<Db, "membership">, projectId: number, confidential: boolean): Promise<AssigneeView[]> {
  const rows = await tx.membership.findMany({
    where: { projectId, user: { isBot: false } },
    select: { role: true, user: { select: userSelect } },
  });
  return rows
    .filter((m) => !confidential || can(m.role, "issue:read_confidential"))
    .map((m) => m.user)
    .sort(byUsername);
}

/** The members the actor may assign to issue `iid` (Reporter and up, like every triage action). */
export async function listAssignableMembers(actor: Actor | null, projectPath: string, iid: number): Promise<AssigneeView[]> {
  const issue = await requireVisibleIssue(actor, projectPath, iid, "issue:triage");
  const { confidential } = await db().issue.findUniqueOrThrow({ where: { id: issue.id }, select: { confidential: true } });
  return assignableMembersOf(db(), issue.project.id, confidential);
}

const mention = (u: { username: string }) => `@${u.username}`;

function sentence(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** GitLab's wording: "assigned to @a and @b and unassigned @c". */
export function assigneeChangeNote(added: { username: string }[], removed: { username: string }[]): string {
  const parts: string[] = [];
  if (added.length) parts.push(`assigned to ${sentence(added.map(mention))}`);
  if (removed.length) parts.push(`unassigned ${sentence(removed.map(mention))}`);
  return parts.join(" and ");
}

async function currentAssignees(tx: Tx, issueId: number): Promise<AssigneeView[]> {
  return (await tx.issueAssignee.findMany({ where: { issueId }, select: { user: { select: userSelect } } })).map((a) => a.user).sort(byUsername);
}

/**
 * Makes the issue's assignees exactly `userIds`. Newly assigned people must be assignable members (see
 * assignableMembersOf); someone already assigned who has since left can still be unassigned, or kept.
 */
export async function setIssueAssignees(actor: Actor | null, projectPath: string, iid: number, userIds: string[]) {
  const issue = await requireVisibleIssue(actor, projectPath, iid, "issue:triage");
  const wanted = [...new Set(userIds)];
  return db().$transaction(async (tx) => {
    await lockIssue(tx, issue.id);
    const { confidential } = await tx.issue.findUniqueOrThrow({ where: { id: issue.id }, select: { confidential: true } });
    const current = await currentAssignees(tx, issue.id);
    const currentIds = new Set(current.map((u) => u.id));
    const newIds = wanted.filter((id) => !currentIds.has(id));
    const assignable = new Map((await assignableMembersOf(tx, issue.project.id, confidential)).map((u) => [u.id, u]));
    if (newIds.some((id) => !assignable.has(id)))
      throw new AppError(
        "bad_request",
        confidential
          ? "Only project members with at least the Reporter role can be assigned to a confidential issue."
          : "Only members of this project can be assigned.",
        { userIds: "Choose project members only." },
      );
    const added = newIds.map((id) => assignable.get(id)!).sort(byUsername);
    const removed = current.filter((u) => !wanted.includes(u.id));
    if (added.length || removed.length) {
      if (removed.length) await tx.issueAssignee.deleteMany({ where: { issueId: issue.id, userId: { in: removed.map((u) => u.id) } } });
      if (added.length) await tx.issueAssignee.createMany({ data: added.map((u) => ({ issueId: issue.id, userId: u.id })), skipDuplicates: true });
      await tx.note.create({ data: { issueId: issue.id, authorId: actor!.id, system: true, body: assigneeChangeNote(added, removed) } });
      await tx.issue.update({ where: { id: issue.id }, data: { updatedAt: new Date() } });
    }
    // The newly assigned hear of it (after the response) and get a To-Do.
    const eventIds = added.length ? [await recordIssueEvent(tx, { issueId: issue.id, kind: "assigned", actorId: actor!.id, userIds: added.map((u) => u.id) })] : [];
    return {
      eventIds,
      assignees: await currentAssignees(tx, issue.id),
      added: added.map((u) => u.id),
      removed: removed.map((u) => u.id),
      changed: added.length + removed.length > 0,
    };
  });
}

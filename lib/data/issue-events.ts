// Issue events (the team-notification outbox): recorded in the caller's transaction, then claimed, read with
// everything the fan-out decides on, and finished together with the mails and To-Dos they make.
import type { Db } from "@/lib/db/client";
import { db } from "@/lib/db/client";
import { sql } from "@/lib/db/sql";
import type { Role } from "@/lib/auth/roles";

type Tx = Pick<Db, "issueEvent">;

export type IssueEventKind = "new_request" | "customer_reply" | "comment" | "assigned";

/** A project member as the fan-out decides on them. */
export interface Member {
  userId: string;
  username: string;
  role: Role;
  isBot: boolean;
  /** The user's default level and the project's setting (null = global). */
  userLevel: string;
  projectLevel: string | null;
}

export interface NewIssueEvent {
  issueId: number;
  kind: IssueEventKind;
  noteId?: number | null;
  actorId?: string | null;
  userIds?: string[];
}

/** Records an event in the caller's transaction; returns its id (for the fan-out right after the response). */
export async function recordIssueEvent(tx: Tx, event: NewIssueEvent): Promise<string> {
  const row = await tx.issueEvent.create({
    data: { issueId: event.issueId, kind: event.kind, noteId: event.noteId ?? null, actorId: event.actorId ?? null, userIds: event.userIds ?? [] },
    select: { id: true },
  });
  return row.id;
}

/** Takes an event for `leaseSeconds` if it is pending and nobody holds it; returns the attempts it saw. */
export async function claimIssueEvent(id: string, leaseSeconds: number, now = new Date()): Promise<number | null> {
  const row = await db().issueEvent.findUnique({ where: { id }, select: { attempts: true, status: true, lockedUntil: true } });
  if (!row || row.status !== "pending" || (row.lockedUntil && row.lockedUntil > now)) return null;
  const claimed = await db().issueEvent.updateMany({
    where: { id, status: "pending", attempts: row.attempts },
    data: { attempts: { increment: 1 }, lockedUntil: new Date(now.getTime() + leaseSeconds * 1000) },
  });
  return claimed.count === 1 ? row.attempts + 1 : null;
}

/** Pending events free to take, oldest first; `minAgeMs` leaves out those recorded more recently (another queue's). */
export async function duePendingEvents(now: Date, limit: number, minAgeMs = 0): Promise<string[]> {
  const rows = await db().issueEvent.findMany({
    where: {
      status: "pending",
      OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
      ...(minAgeMs > 0 ? { createdAt: { lt: new Date(now.getTime() - minAgeMs) } } : {}),
    },
    orderBy: { createdAt: "asc" },
    take: limit,
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/** Everything the fan-out needs about one event: the issue, its note, the project's members and their levels. */
export async function loadEventFacts(id: string) {
  const event = await db().issueEvent.findUnique({
    where: { id },
    select: {
      id: true,
      kind: true,
      noteId: true,
      actorId: true,
      userIds: true,
      createdAt: true,
      relayedAt: true,
      issue: {
        select: {
          id: true,
          iid: true,
          title: true,
          description: true,
          confidential: true,
          authorId: true,
          externalAuthor: true,
          projectId: true,
          project: { select: { id: true, fullPath: true, name: true } },
        },
      },
    },
  });
  if (!event) return null;
  const { issue } = event;
  const [note, memberships, assignees, commenters, subscriptions, actor] = await Promise.all([
    event.noteId ? db().note.findUnique({ where: { id: event.noteId }, select: { id: true, body: true, internal: true, externalAuthor: true } }) : null,
    // Plain SQL: a project with hundreds of members would cost Prisma's engine more than the query itself.
    sql<{ id: string; email: string; username: string; name: string | null; is_bot: boolean; notification_level: string; role: Role; project_level: string | null }>(
      `SELECT u.id, u.email, u.username, u.name, u.is_bot, u.notification_level, m.role::text AS role, s.level AS project_level
       FROM memberships m JOIN users u ON u.id = m.user_id
       LEFT JOIN project_notification_settings s ON s.user_id = m.user_id AND s.project_id = m.project_id
       WHERE m.project_id = $1::int`,
      [issue.projectId],
    ),
    db().issueAssignee.findMany({ where: { issueId: issue.id }, select: { userId: true } }),
    db().note.findMany({ where: { issueId: issue.id, system: false, authorId: { not: null } }, distinct: ["authorId"], select: { authorId: true } }),
    db().issueSubscription.findMany({ where: { issueId: issue.id }, select: { userId: true, subscribed: true } }),
    event.actorId ? db().user.findUnique({ where: { id: event.actorId }, select: { id: true, username: true, name: true } }) : null,
  ]);
  const members: (Member & { email: string; name: string | null })[] = memberships.map((row) => ({
    userId: row.id,
    username: row.username,
    name: row.name,
    email: row.email,
    role: row.role,
    isBot: row.is_bot,
    userLevel: row.notification_level,
    projectLevel: row.project_level,
  }));
  return {
    event,
    issue,
    note,
    actor,
    members,
    assignees: new Set(assignees.map((a) => a.userId)),
    commenters: new Set(commenters.map((c) => c.authorId!).filter(Boolean)),
    subscriptions: new Map(subscriptions.map((s) => [s.userId, s.subscribed])),
  };
}

export type EventFacts = NonNullable<Awaited<ReturnType<typeof loadEventFacts>>>;

/** Leaves an event whose fan-out failed for another try at `retryAt`. */
export async function retryIssueEventLater(id: string, retryAt: Date, error: string): Promise<void> {
  await db().issueEvent.updateMany({ where: { id, status: "pending" }, data: { lockedUntil: retryAt, error: error.slice(0, 2000) } });
}

/** Pending events, for /api/health. */
export async function issueEventBacklog(now = new Date()): Promise<{ pending: number; stuck: number }> {
  const [pending, stuck] = await Promise.all([
    db().issueEvent.count({ where: { status: "pending" } }),
    db().issueEvent.count({ where: { status: "pending", createdAt: { lt: new Date(now.getTime() - 10 * 60_000) } } }),
  ]);
  return { pending, stuck };
}

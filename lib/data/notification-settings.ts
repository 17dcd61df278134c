// Notification levels (the user's default and per project) and a member's subscription to one issue. Each
// function acts for the actor on their own settings; project and issue access are checked as everywhere.
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { DEFAULT_LEVELS, NOTIFICATION_LEVELS, type DefaultLevel, type NotificationLevel } from "@/lib/notifications/levels";
import { issueMailStanding, type IssueMailStanding } from "@/lib/notifications/recipients";
import { loadProjectAccess } from "./access";
import { requireVisibleIssue } from "./issues";

function signedIn(actor: Actor | null): Actor {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  return actor;
}

const levelError = (allowed: readonly string[]) =>
  new AppError("bad_request", `level must be one of ${allowed.join(", ")}.`, { level: `Choose one of ${allowed.join(", ")}.` });

export async function getGlobalNotificationLevel(actor: Actor | null): Promise<DefaultLevel> {
  const user = await db().user.findUnique({ where: { id: signedIn(actor).id }, select: { notificationLevel: true } });
  return (user?.notificationLevel ?? "participating") as DefaultLevel;
}

export async function setGlobalNotificationLevel(actor: Actor | null, level: unknown): Promise<DefaultLevel> {
  const me = signedIn(actor);
  if (typeof level !== "string" || !(DEFAULT_LEVELS as readonly string[]).includes(level)) throw levelError(DEFAULT_LEVELS);
  await db().user.update({ where: { id: me.id }, data: { notificationLevel: level } });
  return level as DefaultLevel;
}

/** The actor's level in a project ("global" when they never chose one); members only (404 otherwise). */
export async function getProjectNotificationLevel(actor: Actor | null, projectPath: string): Promise<NotificationLevel> {
  const { project } = await loadProjectAccess(signedIn(actor), projectPath);
  const row = await db().projectNotificationSetting.findUnique({ where: { userId_projectId: { userId: actor!.id, projectId: project.id } }, select: { level: true } });
  return (row?.level ?? "global") as NotificationLevel;
}

/**
 * The same in one query, for the project layout on every page (the page itself checks access): the membership
 * is part of the query, so a non-member learns nothing but "global".
 */
export async function projectNotificationLevelForShell(actor: Actor | null, projectPath: string): Promise<NotificationLevel> {
  const me = signedIn(actor);
  const row = await db().projectNotificationSetting.findFirst({
    where: { userId: me.id, project: { fullPath: projectPath.toLowerCase(), memberships: { some: { userId: me.id } } } },
    select: { level: true },
  });
  return (row?.level ?? "global") as NotificationLevel;
}

export async function setProjectNotificationLevel(actor: Actor | null, projectPath: string, level: unknown): Promise<NotificationLevel> {
  const { project } = await loadProjectAccess(signedIn(actor), projectPath);
  if (typeof level !== "string" || !(NOTIFICATION_LEVELS as readonly string[]).includes(level)) throw levelError(NOTIFICATION_LEVELS);
  await db().projectNotificationSetting.upsert({
    where: { userId_projectId: { userId: actor!.id, projectId: project.id } },
    create: { userId: actor!.id, projectId: project.id, level },
    update: { level },
  });
  return level as NotificationLevel;
}

/**
 * Whether the actor hears of this issue's replies and comments, and why: their choice, or else what their level
 * and their part in the issue (assigned, commented, author) make of it — the same rule as the fan-out.
 */
export async function getIssueSubscription(actor: Actor | null, projectPath: string, iid: number): Promise<IssueMailStanding> {
  const me = signedIn(actor);
  const issue = await requireVisibleIssue(me, projectPath, iid, "issue:read");
  const [user, setting, choice, assigned, commented, authored] = await Promise.all([
    db().user.findUnique({ where: { id: me.id }, select: { notificationLevel: true } }),
    db().projectNotificationSetting.findUnique({ where: { userId_projectId: { userId: me.id, projectId: issue.project.id } }, select: { level: true } }),
    db().issueSubscription.findUnique({ where: { issueId_userId: { issueId: issue.id, userId: me.id } }, select: { subscribed: true } }),
    db().issueAssignee.count({ where: { issueId: issue.id, userId: me.id } }),
    db().note.count({ where: { issueId: issue.id, authorId: me.id, system: false } }),
    db().issue.count({ where: { id: issue.id, authorId: me.id } }),
  ]);
  return issueMailStanding(
    { userId: me.id, projectLevel: setting?.level ?? null, userLevel: user?.notificationLevel ?? "participating" },
    {
      assignees: new Set(assigned ? [me.id] : []),
      commenters: new Set(commented ? [me.id] : []),
      subscriptions: new Map(choice ? [[me.id, choice.subscribed]] : []),
      authorId: authored ? me.id : null,
    },
  );
}

export async function setIssueSubscription(actor: Actor | null, projectPath: string, iid: number, subscribed: boolean): Promise<boolean> {
  const issue = await requireVisibleIssue(signedIn(actor), projectPath, iid, "issue:read");
  await db().issueSubscription.upsert({
    where: { issueId_userId: { issueId: issue.id, userId: actor!.id } },
    create: { issueId: issue.id, userId: actor!.id, subscribed },
    update: { subscribed },
  });
  return subscribed;
}

/** What a team unsubscribe link is about (the issue's reference), without changing anything; null when gone. */
export async function describeTeamUnsubscribe(target: { userId: string; issueId: number }): Promise<{ title: string; reference: string } | null> {
  const [issue, user] = await Promise.all([
    db().issue.findUnique({ where: { id: target.issueId }, select: { iid: true, title: true, project: { select: { fullPath: true } } } }),
    db().user.findUnique({ where: { id: target.userId }, select: { id: true } }),
  ]);
  return issue && user ? { title: issue.title, reference: `${issue.project.fullPath}#${issue.iid}` } : null;
}

/**
 * "Stop mail about this issue" from a notification's List-Unsubscribe (the token in it proves who and which
 * issue; no session): the member is unsubscribed from the issue. False when the user or issue is gone.
 */
export async function unsubscribeFromIssueByToken(target: { userId: string; issueId: number }): Promise<{ title: string; reference: string } | null> {
  const described = await describeTeamUnsubscribe(target);
  if (!described) return null;
  await db().issueSubscription.upsert({
    where: { issueId_userId: { issueId: target.issueId, userId: target.userId } },
    create: { issueId: target.issueId, userId: target.userId, subscribed: false },
    update: { subscribed: false },
  });
  return described;
}


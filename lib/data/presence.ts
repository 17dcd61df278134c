// Who has an issue open and who is writing a reply on it: written by the issue page's heartbeat, read by its
// first render and the polling fallback; each write is announced to the live streams by a trigger.
import type { Actor } from "@/lib/auth/actor";
import { can } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import type { PresenceState } from "@/lib/schemas";
import { requireVisibleIssue } from "./issues";

/** How long a heartbeat counts: the page sends one every PRESENCE_HEARTBEAT_MS, so two can be missed. */
export const PRESENCE_TTL_MS = 35_000;
export const PRESENCE_HEARTBEAT_MS = 15_000;

export interface PresenceEntry {
  userId: string;
  name: string;
  state: Exclude<PresenceState, "left">;
  expiresAt: string;
}

/**
 * Records that the actor views the issue, is replying on it, or left it. Anyone who may read the issue may say
 * they view it; "replying" needs the right to comment (a Guest's typing is just viewing).
 */
export async function setIssuePresence(actor: Actor | null, projectPath: string, iid: number, state: PresenceState, now = new Date()): Promise<void> {
  const { id: issueId, role } = await requireVisibleIssue(actor, projectPath, iid, "issue:read");
  const effective: PresenceState = state === "replying" && !can(role, "issue:comment") ? "viewing" : state;
  const expiresAt = new Date(now.getTime() + (effective === "left" ? 0 : PRESENCE_TTL_MS));
  await db().issuePresence.upsert({
    where: { issueId_userId: { issueId, userId: actor!.id } },
    create: { issueId, userId: actor!.id, state: effective, expiresAt },
    update: { state: effective, expiresAt },
  });
}

/** The others on the issue now (not the actor), replying first; for the page's first render and polling. */
export async function issuePresence(actor: Actor | null, projectPath: string, iid: number, now = new Date()): Promise<PresenceEntry[]> {
  const { id: issueId } = await requireVisibleIssue(actor, projectPath, iid, "issue:read");
  const rows = await db().issuePresence.findMany({
    where: { issueId, userId: { not: actor!.id }, state: { not: "left" }, expiresAt: { gt: now } },
    select: { userId: true, state: true, expiresAt: true, user: { select: { name: true, username: true } } },
    orderBy: { updatedAt: "desc" },
    take: 20,
  });
  return rows
    .map((row) => ({
      userId: row.userId,
      name: row.user.name?.trim() || row.user.username,
      state: row.state === "replying" ? ("replying" as const) : ("viewing" as const),
      expiresAt: row.expiresAt.toISOString(),
    }))
    .sort((a, b) => Number(b.state === "replying") - Number(a.state === "replying"));
}

/** Drops presence rows long expired (the retention sweep): they are kept a day so nothing reads a half-written row. */
export async function purgeStalePresence(now = new Date()): Promise<number> {
  const { count } = await db().issuePresence.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - 86_400_000) } } });
  return count;
}

// What a live page's viewer may hear of: their roles per project (the stream's filter), and for the polling
// fallback the issues changed since a moment, among those they may read.
import type { Actor } from "@/lib/auth/actor";
import { can, type Role } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";

/** Who is watching a stream: their role in each project they belong to (instance admins: Owner everywhere). */
export interface LiveViewer {
  userId: string;
  isAdmin: boolean;
  roles: ReadonlyMap<number, Role>;
}

export async function liveViewer(actor: Actor): Promise<LiveViewer> {
  const memberships = actor.isAdmin ? [] : await db().membership.findMany({ where: { userId: actor.id }, select: { projectId: true, role: true } });
  return { userId: actor.id, isAdmin: actor.isAdmin, roles: new Map(memberships.map((m) => [m.projectId, m.role as Role])) };
}

export interface LiveChanges {
  /** The database's clock when read: the next poll's `since`. */
  now: string;
  issues: { projectId: number; iid: number; updatedAt: string }[];
  pendingTodos: number;
}

/** Issues the actor may read that changed after `since` (at most 100, newest first), and their pending To-Do count. */
export async function liveChangesSince(actor: Actor, since: Date): Promise<LiveChanges> {
  const viewer = await liveViewer(actor);
  const readable = [...viewer.roles].filter(([, role]) => can(role, "issue:read"));
  const full = readable.filter(([, role]) => can(role, "issue:read_confidential")).map(([id]) => id);
  const open = readable.filter(([, role]) => !can(role, "issue:read_confidential")).map(([id]) => id);
  const [[clock], issues, pendingTodos] = await Promise.all([
    db().$queryRaw<{ now: Date }[]>`SELECT now() AS now`,
    db().issue.findMany({
      where: {
        updatedAt: { gt: since },
        ...(viewer.isAdmin ? {} : { OR: [{ projectId: { in: full } }, { projectId: { in: open }, confidential: false }] }),
      },
      select: { projectId: true, iid: true, updatedAt: true },
      orderBy: { updatedAt: "desc" },
      take: 100,
    }),
    db().todo.count({ where: { userId: actor.id, state: "pending" } }),
  ]);
  return {
    now: new Date(clock.now).toISOString(),
    issues: issues.map((i) => ({ projectId: i.projectId, iid: i.iid, updatedAt: i.updatedAt.toISOString() })),
    pendingTodos,
  };
}

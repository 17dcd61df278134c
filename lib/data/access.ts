// Loads a project together with the actor's role in it, enforcing "non-members get 404" in one place.
import type { Actor } from "@/lib/auth/actor";
import { can, type ProjectAction, type Role } from "@/lib/auth/roles";
import { db, type Db } from "@/lib/db/client";
import { AppError, forbidden, notFound } from "@/lib/errors";

export interface ProjectAccess {
  project: { id: number; fullPath: string; namespace: string; path: string; name: string; description: string };
  /** The actor's role; instance admins act as Owners of every project. */
  role: Role | null;
}

const projectSelect = { id: true, fullPath: true, namespace: true, path: true, name: true, description: true } as const;

type Tx = Pick<Db, "project" | "membership">;

export async function loadProjectAccess(actor: Actor | null, fullPath: string, tx: Tx = db()): Promise<ProjectAccess> {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  const project = await tx.project.findUnique({ where: { fullPath: fullPath.toLowerCase() }, select: projectSelect });
  if (!project) throw notFound("Project");
  const membership = await tx.membership.findUnique({
    where: { projectId_userId: { projectId: project.id, userId: actor.id } },
    select: { role: true },
  });
  const role: Role | null = actor.isAdmin ? "OWNER" : (membership?.role ?? null);
  if (!role) throw notFound("Project");
  return { project, role };
}

/** Loads the project and checks `action`: 404 for non-members, 403 for members below the needed role. */
export async function requireProject(
  actor: Actor | null,
  fullPath: string,
  action: ProjectAction,
  tx?: Tx,
): Promise<ProjectAccess> {
  const access = await loadProjectAccess(actor, fullPath, tx);
  if (!can(access.role, action)) throw forbidden();
  return access;
}

// Projects: create, list the actor's projects, open one (with what the actor may do there).
import type { Actor } from "@/lib/auth/actor";
import { can, POLICY, type ProjectAction, type Role } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { createProjectSchema, type CreateProjectInput } from "@/lib/schemas";
import { loadProjectAccess } from "./access";
import { isUniqueViolation } from "./users";
import { fieldErrorsOf } from "./validation";

export interface ProjectSummary {
  id: number;
  fullPath: string;
  name: string;
  description: string;
  role: Role;
  openIssues: number;
}

export async function createProject(actor: Actor | null, input: CreateProjectInput) {
  if (!actor) throw new AppError("unauthorized", "Sign in to create a project.");
  const parsed = createProjectSchema.safeParse(input);
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  const { namespace, path, name, description } = parsed.data;
  const fullPath = `${namespace}/${path}`;
  try {
    return await db().project.create({
      data: {
        namespace,
        path,
        fullPath,
        name: name || path,
        description,
        memberships: { create: { userId: actor.id, role: "OWNER" } },
      },
      select: { id: true, fullPath: true, name: true },
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError("conflict", `${fullPath} is already taken.`, { path: `${fullPath} is already taken.` });
    throw error;
  }
}

/** The projects the actor is a member of, most recently active first. */
export async function listMyProjects(actor: Actor): Promise<ProjectSummary[]> {
  const memberships = await db().membership.findMany({
    where: { userId: actor.id },
    select: {
      role: true,
      project: { select: { id: true, fullPath: true, name: true, description: true, updatedAt: true } },
    },
  });
  // Open issues the actor may see: confidential ones count only for Reporter and up (as in listIssues).
  const counts = memberships.length
    ? await db().issue.groupBy({
        by: ["projectId", "confidential"],
        where: { projectId: { in: memberships.map((m) => m.project.id) }, state: "OPENED" },
        _count: { _all: true },
      })
    : [];
  const openIssues = (projectId: number, role: Role) => {
    const seesConfidential = actor.isAdmin || can(role, "issue:read_confidential");
    return counts
      .filter((c) => c.projectId === projectId && (seesConfidential || !c.confidential))
      .reduce((sum, c) => sum + c._count._all, 0);
  };
  return memberships
    .sort((a, b) => b.project.updatedAt.getTime() - a.project.updatedAt.getTime())
    .map(({ role, project }) => ({
      id: project.id,
      fullPath: project.fullPath,
      name: project.name,
      description: project.description,
      role,
      openIssues: openIssues(project.id, role),
    }));
}

export type Permissions = Record<ProjectAction, boolean>;

/** A project as its pages need it: fields, the actor's role, and what that role allows. */
export async function getProject(actor: Actor | null, fullPath: string) {
  const { project, role } = await loadProjectAccess(actor, fullPath);
  const permissions = Object.fromEntries(
    (Object.keys(POLICY) as ProjectAction[]).map((action) => [action, can(role, action)]),
  ) as Permissions;
  return { ...project, role: role as Role, permissions };
}

// Project members: list, add by email (creating the account if needed), change role, remove — keeping an Owner.
import type { Actor } from "@/lib/auth/actor";
import { canAssignRole, ROLE_LABELS, type Role } from "@/lib/auth/roles";
import { db, type Db } from "@/lib/db/client";
import { AppError, forbidden } from "@/lib/errors";
import { emailSchema } from "@/lib/schemas";
import { requireProject } from "./access";
import { addressRule } from "./address-visibility";
import { createUser } from "./users";

export interface MemberView {
  userId: string;
  /** Only for Maintainers and up (and admins); null for everyone else, who see names and usernames. */
  email: string | null;
  username: string;
  name: string | null;
  role: Role;
  since: Date;
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export async function listMembers(actor: Actor | null, projectPath: string): Promise<MemberView[]> {
  const { project, role } = await requireProject(actor, projectPath, "member:read");
  const addresses = addressRule(role);
  const rows = await db().membership.findMany({
    where: { projectId: project.id },
    select: { role: true, createdAt: true, user: { select: { id: true, email: true, username: true, name: true } } },
    orderBy: [{ createdAt: "asc" }],
  });
  return rows.map((r) => ({ userId: r.user.id, email: addresses.memberEmail(r.user.email), username: r.user.username, name: r.user.name, role: r.role, since: r.createdAt }));
}

// Serializes membership changes per project, so two Owners demoting each other cannot leave none.
async function lockProject(tx: Tx, projectId: number) {
  await tx.$queryRaw`SELECT id FROM projects WHERE id = ${projectId} FOR UPDATE`;
}

async function ownerCount(tx: Tx, projectId: number) {
  return tx.membership.count({ where: { projectId, role: "OWNER" } });
}

export async function addMember(actor: Actor | null, projectPath: string, emailInput: string, role: Role) {
  const { project, role: actorRole } = await requireProject(actor, projectPath, "member:manage");
  if (!canAssignRole(actorRole, null, role)) throw forbidden("Only Owners can add Owners.");
  const email = emailSchema.safeParse(emailInput);
  if (!email.success) throw new AppError("bad_request", "Enter a valid email address.", { email: "Enter a valid email address." });
  return db().$transaction(async (tx) => {
    await lockProject(tx, project.id);
    const user =
      (await tx.user.findUnique({ where: { email: email.data }, select: { id: true, isBot: true } })) ??
      (await createUser({ email: email.data }, tx));
    if ("isBot" in user && user.isBot) throw new AppError("bad_request", "Bots cannot be project members.", { email: "Bots cannot be project members." });
    const existing = await tx.membership.findUnique({ where: { projectId_userId: { projectId: project.id, userId: user.id } } });
    if (existing)
      throw new AppError("conflict", `${email.data} is already a member (${ROLE_LABELS[existing.role]}).`, {
        email: `${email.data} is already a member (${ROLE_LABELS[existing.role]}).`,
      });
    await tx.membership.create({ data: { projectId: project.id, userId: user.id, role } });
    return { userId: user.id, email: email.data, role };
  });
}

export async function changeMemberRole(actor: Actor | null, projectPath: string, userId: string, role: Role) {
  const { project, role: actorRole } = await requireProject(actor, projectPath, "member:manage");
  return db().$transaction(async (tx) => {
    await lockProject(tx, project.id);
    const member = await tx.membership.findUnique({ where: { projectId_userId: { projectId: project.id, userId } } });
    if (!member) throw new AppError("not_found", "That person is not a member of this project.");
    if (!canAssignRole(actorRole, member.role, role)) throw forbidden("Only Owners can grant or change the Owner role.");
    if (member.role === "OWNER" && role !== "OWNER" && (await ownerCount(tx, project.id)) <= 1)
      throw new AppError("conflict", "A project needs at least one Owner: make someone else Owner first.");
    await tx.membership.update({ where: { id: member.id }, data: { role } });
    return { userId, role };
  });
}

/** Removes a member; anyone may remove themselves (leave), Maintainers and Owners may remove others. */
export async function removeMember(actor: Actor | null, projectPath: string, userId: string) {
  const self = actor?.id === userId;
  const { project, role: actorRole } = await requireProject(actor, projectPath, self ? "project:read" : "member:manage");
  return db().$transaction(async (tx) => {
    await lockProject(tx, project.id);
    const member = await tx.membership.findUnique({ where: { projectId_userId: { projectId: project.id, userId } } });
    if (!member) throw new AppError("not_found", "That person is not a member of this project.");
    if (!self && !canAssignRole(actorRole, member.role, null)) throw forbidden("Only Owners can remove an Owner.");
    if (member.role === "OWNER" && (await ownerCount(tx, project.id)) <= 1)
      throw new AppError("conflict", "The last Owner cannot be removed: make someone else Owner first.");
    await tx.membership.delete({ where: { id: member.id } });
    return { userId };
  });
}

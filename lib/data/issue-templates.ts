// Description templates of a project (name + Markdown): every member may read them, Developers and up manage
// them. Service Desk appends the one chosen in its settings to each new issue; renaming that one keeps the
// choice, deleting it leaves the choice dangling on purpose (intake then writes a warning note).
import type { Actor } from "@/lib/auth/actor";
import { can } from "@/lib/auth/roles";
import { db, type Db } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import { issueTemplateSchema, type IssueTemplateInput } from "@/lib/schemas";
import { requireProject } from "./access";
import { recordSettingEvent } from "./service-desk";
import { isUniqueViolation } from "./users";
import { fieldErrorsOf } from "./validation";

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export interface IssueTemplateView {
  id: number;
  name: string;
  content: string;
  updatedAt: Date;
  /** Chosen in the Service Desk settings as the template appended to new Service Desk issues. */
  usedByServiceDesk: boolean;
}

export interface IssueTemplateList {
  templates: IssueTemplateView[];
  canManage: boolean;
}

const select = { id: true, name: true, content: true, updatedAt: true } as const;

async function chosenTemplate(projectId: number): Promise<string | null> {
  const settings = await db().serviceDeskSetting.findUnique({ where: { projectId }, select: { issueTemplateKey: true } });
  return settings?.issueTemplateKey ?? null;
}

export async function listIssueTemplates(actor: Actor | null, projectPath: string): Promise<IssueTemplateList> {
  const { project, role } = await requireProject(actor, projectPath, "issue:read");
  const [rows, chosen] = await Promise.all([
    db().issueTemplate.findMany({ where: { projectId: project.id }, select, orderBy: { name: "asc" } }),
    chosenTemplate(project.id),
  ]);
  return {
    templates: rows.map((row) => ({ ...row, usedByServiceDesk: row.name === chosen })),
    canManage: can(role, "issue_template:manage"),
  };
}

export async function getIssueTemplate(actor: Actor | null, projectPath: string, id: number): Promise<IssueTemplateView> {
  const { project } = await requireProject(actor, projectPath, "issue:read");
  const row = Number.isInteger(id) ? await db().issueTemplate.findFirst({ where: { id, projectId: project.id }, select }) : null;
  if (!row) throw notFound("Template");
  return { ...row, usedByServiceDesk: row.name === (await chosenTemplate(project.id)) };
}

function parse(input: IssueTemplateInput) {
  const parsed = issueTemplateSchema.safeParse(input);
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  return parsed.data;
}

function nameTaken(name: string): AppError {
  const message = `A template named "${name}" already exists in this project.`;
  return new AppError("conflict", message, { name: message });
}

export async function createIssueTemplate(actor: Actor | null, projectPath: string, input: IssueTemplateInput): Promise<{ id: number; name: string }> {
  const { project } = await requireProject(actor, projectPath, "issue_template:manage");
  const { name, content } = parse(input);
  try {
    return await db().$transaction(async (tx) => {
      const row = await tx.issueTemplate.create({ data: { projectId: project.id, name, content }, select: { id: true, name: true } });
      await recordSettingEvent(tx, project.id, actor, { descriptionTemplate: name, action: "created" });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(name);
    throw error;
  }
}

async function findInProject(tx: Tx, projectId: number, id: number) {
  const row = Number.isInteger(id) ? await tx.issueTemplate.findFirst({ where: { id, projectId }, select: { id: true, name: true } }) : null;
  if (!row) throw notFound("Template");
  return row;
}

export async function updateIssueTemplate(
  actor: Actor | null,
  projectPath: string,
  id: number,
  input: IssueTemplateInput,
): Promise<{ id: number; name: string }> {
  const { project } = await requireProject(actor, projectPath, "issue_template:manage");
  const { name, content } = parse(input);
  try {
    return await db().$transaction(async (tx) => {
      const existing = await findInProject(tx, project.id, id);
      await tx.issueTemplate.update({ where: { id: existing.id }, data: { name, content } });
      const renamed = existing.name !== name;
      // Service Desk refers to its template by name: a rename carries the choice along.
      const moved = renamed
        ? await tx.serviceDeskSetting.updateMany({ where: { projectId: project.id, issueTemplateKey: existing.name }, data: { issueTemplateKey: name } })
        : { count: 0 };
      await recordSettingEvent(tx, project.id, actor, {
        descriptionTemplate: name,
        action: "updated",
        ...(renamed ? { renamedFrom: existing.name } : {}),
        ...(moved.count ? { issueTemplateKey: [existing.name, name] } : {}),
      });
      return { id: existing.id, name };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(name);
    throw error;
  }
}

export async function deleteIssueTemplate(actor: Actor | null, projectPath: string, id: number): Promise<{ id: number; name: string }> {
  const { project } = await requireProject(actor, projectPath, "issue_template:manage");
  return db().$transaction(async (tx) => {
    const existing = await findInProject(tx, project.id, id);
    await tx.issueTemplate.delete({ where: { id: existing.id } });
    await recordSettingEvent(tx, project.id, actor, { descriptionTemplate: existing.name, action: "deleted" });
    return existing;
  });
}

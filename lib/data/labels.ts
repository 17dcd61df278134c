// Labels: a project's labels (titles unique case-insensitively), creating one, and setting an issue's labels
// with GitLab-style system notes ("added ~bug label").
import type { Actor } from "@/lib/auth/actor";
import { db, type Db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { createLabelSchema, LABEL_COLORS, type CreateLabelInput } from "@/lib/schemas";
import { requireProject } from "./access";
import { requireVisibleIssue } from "./issues";
import { isUniqueViolation } from "./users";
import { fieldErrorsOf } from "./validation";

export interface LabelView {
  id: number;
  title: string;
  color: string;
  description: string;
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export const labelSelect = { id: true, title: true, color: true, description: true } as const;

const byTitle = (a: { title: string }, b: { title: string }) => a.title.localeCompare(b.title, "en", { sensitivity: "base" }) || a.title.localeCompare(b.title);

/** Sorts labels by title the way people read them (case-insensitive), independent of the database collation. */
export function sortLabels<T extends { title: string }>(labels: T[]): T[] {
  return [...labels].sort(byTitle);
}

/** Every label of the project, by title. Anyone who sees the project sees its labels (list filters use them). */
export async function listProjectLabels(actor: Actor | null, projectPath: string): Promise<LabelView[]> {
  const { project } = await requireProject(actor, projectPath, "project:read");
  return sortLabels(await db().label.findMany({ where: { projectId: project.id }, select: labelSelect }));
}

const duplicate = (title: string) =>
  new AppError("conflict", `A label named “${title}” already exists in this project.`, { title: "A label with this title already exists." });

/** Creates a label (Reporter and up, as part of triage). Titles are unique per project, ignoring case. */
export async function createLabel(actor: Actor | null, projectPath: string, input: Omit<CreateLabelInput, "projectPath">): Promise<LabelView> {
  const { project } = await requireProject(actor, projectPath, "issue:triage");
  const parsed = createLabelSchema.safeParse({ ...input, projectPath });
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  const { title, color, description } = parsed.data;
  try {
    return await db().$transaction(async (tx) => {
      // The unique index compares titles as typed; the project row lock makes "Bug" and "bug" created at the
      // same moment queue up, so the second one finds the first below.
      await tx.$queryRaw`SELECT id FROM projects WHERE id = ${project.id} FOR UPDATE`;
      const existing = await tx.label.findFirst({
        where: { projectId: project.id, title: { equals: title, mode: "insensitive" } },
        select: { title: true },
      });
      if (existing) throw duplicate(existing.title);
      const count = await tx.label.count({ where: { projectId: project.id } });
      return tx.label.create({
        data: { projectId: project.id, title, color: color || LABEL_COLORS[count % LABEL_COLORS.length], description },
        select: labelSelect,
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(title);
    throw error;
  }
}

/** `~bug`, or `~"needs info"` for titles GitLab would quote. */
export function labelReference(title: string): string {
  return /^[\p{L}\p{N}_.&?!-]+$/u.test(title) ? `~${title}` : `~"${title}"`;
}

const plural = (n: number, word: string) => (n === 1 ? word : `${word}s`);

/** GitLab's wording: "added ~a ~b labels and removed ~c label". */
export function labelChangeNote(added: string[], removed: string[]): string {
  const parts: string[] = [];
  if (added.length) parts.push(`added ${added.map(labelReference).join(" ")} ${plural(added.length, "label")}`);
  if (removed.length) parts.push(`removed ${removed.map(labelReference).join(" ")} ${plural(removed.length, "label")}`);
  return parts.join(" and ");
}

/** Serializes changes to one issue's sidebar (labels, assignees, participants), so diffs and caps stay exact. */
export async function lockIssue(tx: Tx, issueId: number) {
  await tx.$queryRaw`SELECT id FROM issues WHERE id = ${issueId} FOR UPDATE`;
}

/**
 * Makes the issue's labels exactly `labelIds` (labels of this project only), records what changed as a system
 * note and bumps the issue. Setting the same labels again changes nothing.
 */
export async function setIssueLabels(actor: Actor | null, projectPath: string, iid: number, labelIds: number[]) {
  const issue = await requireVisibleIssue(actor, projectPath, iid, "issue:triage");
  const wanted = [...new Set(labelIds)];
  if (wanted.some((id) => !Number.isInteger(id) || id < 1)) throw new AppError("bad_request", "Unknown label.", { labelIds: "Unknown label." });
  return db().$transaction(async (tx) => {
    await lockIssue(tx, issue.id);
    const labels = await tx.label.findMany({ where: { projectId: issue.project.id, id: { in: wanted } }, select: labelSelect });
    if (labels.length !== wanted.length)
      throw new AppError("bad_request", "Some of these labels do not exist in this project (any more). Reload and try again.", {
        labelIds: "Unknown label.",
      });
    const current = (await tx.issueLabel.findMany({ where: { issueId: issue.id }, select: { label: { select: labelSelect } } })).map((l) => l.label);
    const currentIds = new Set(current.map((l) => l.id));
    const added = sortLabels(labels.filter((l) => !currentIds.has(l.id)));
    const removed = sortLabels(current.filter((l) => !wanted.includes(l.id)));
    if (added.length || removed.length) {
      if (removed.length) await tx.issueLabel.deleteMany({ where: { issueId: issue.id, labelId: { in: removed.map((l) => l.id) } } });
      if (added.length) await tx.issueLabel.createMany({ data: added.map((l) => ({ issueId: issue.id, labelId: l.id })), skipDuplicates: true });
      await tx.note.create({
        data: { issueId: issue.id, authorId: actor!.id, system: true, body: labelChangeNote(added.map((l) => l.title), removed.map((l) => l.title)) },
      });
      await tx.issue.update({ where: { id: issue.id }, data: { updatedAt: new Date() } });
    }
    return { labels: sortLabels(labels), added: added.map((l) => l.id), removed: removed.map((l) => l.id), changed: added.length + removed.length > 0 };
  });
}

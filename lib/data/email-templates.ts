// A project's Service Desk email templates (Maintainer and up; 404 below): each is the project's own text
// or the default in emails/<name>.md; saving and resetting are audited; the preview renders through the same
// function as the outgoing mail, with sample values.
import type { Actor } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { emailTemplateContentSchema, emailTemplateNameSchema } from "@/lib/schemas";
import {
  renderServiceDeskTemplate,
  serviceDeskMailValues,
  type MailValuesInput,
} from "@/lib/service-desk/render-mail";
import { defaultTemplate, findPlaceholders, PLACEHOLDERS, TEMPLATE_NAMES, type PlaceholderMatch, type TemplateName } from "@/lib/service-desk/templates";
import { recordSettingEvent, requireProjectSettings } from "./service-desk";
import { fieldErrorsOf } from "./validation";

export const EMAIL_TEMPLATE_INFO: Record<TemplateName, { title: string; sentWhen: string }> = {
  thank_you: { title: "Thank you", sentWhen: "to the customer when their mail has become a new issue" },
  new_note: { title: "New note", sentWhen: "to the issue's email participants when a team member posts a public comment" },
  new_participant: { title: "New participant", sentWhen: "to an email participant who was added to an issue" },
  issue_closed: { title: "Issue closed", sentWhen: "to the issue's email participants when the issue is closed (if turned on)" },
};

export interface EmailTemplateSummary {
  name: TemplateName;
  isCustom: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export interface EmailTemplateView extends EmailTemplateSummary {
  content: string;
  defaultContent: string;
  /** The placeholders this template substitutes (any others stay in the mail as typed). */
  placeholders: { name: string; description: string }[];
}

function templateName(name: string): TemplateName {
  const parsed = emailTemplateNameSchema.safeParse(name);
  if (!parsed.success) throw new AppError("not_found", "Email template not found.");
  return parsed.data;
}

export function supportedPlaceholders(name: TemplateName): EmailTemplateView["placeholders"] {
  return Object.entries(PLACEHOLDERS)
    .filter(([, info]) => info.templates.includes(name))
    .map(([placeholder, info]) => ({ name: placeholder, description: info.description }));
}

const rowSelect = { name: true, content: true, updatedAt: true, updatedBy: { select: { name: true, username: true } } } as const;

export async function listEmailTemplates(actor: Actor | null, projectPath: string): Promise<EmailTemplateSummary[]> {
  const { project } = await requireProjectSettings(actor, projectPath);
  const rows = await db().serviceDeskEmailTemplate.findMany({ where: { projectId: project.id }, select: rowSelect });
  return TEMPLATE_NAMES.map((name) => {
    const row = rows.find((r) => r.name === name);
    return { name, isCustom: !!row, updatedAt: row?.updatedAt ?? null, updatedBy: row?.updatedBy ? (row.updatedBy.name ?? row.updatedBy.username) : null };
  });
}

export async function getEmailTemplate(actor: Actor | null, projectPath: string, nameInput: string): Promise<EmailTemplateView> {
  const { project } = await requireProjectSettings(actor, projectPath);
  const name = templateName(nameInput);
  const row = await db().serviceDeskEmailTemplate.findUnique({ where: { projectId_name: { projectId: project.id, name } }, select: rowSelect });
  const defaultContent = defaultTemplate(name);
  return {
    name,
    isCustom: !!row,
    content: row?.content ?? defaultContent,
    defaultContent,
    updatedAt: row?.updatedAt ?? null,
    updatedBy: row?.updatedBy ? (row.updatedBy.name ?? row.updatedBy.username) : null,
    placeholders: supportedPlaceholders(name),
  };
}

function parseContent(content: string): string {
  const parsed = emailTemplateContentSchema.safeParse(content);
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", { content: fieldErrorsOf(parsed.error)._form });
  return parsed.data;
}

/** Stores the project's own text for `name` (used by every later mail of that kind). */
export async function saveEmailTemplate(actor: Actor | null, projectPath: string, nameInput: string, contentInput: string): Promise<EmailTemplateView> {
  const { project } = await requireProjectSettings(actor, projectPath);
  const name = templateName(nameInput);
  const content = parseContent(contentInput);
  await db().$transaction(async (tx) => {
    const before = await tx.serviceDeskEmailTemplate.findUnique({ where: { projectId_name: { projectId: project.id, name } }, select: { content: true } });
    if (before?.content === content) return;
    await tx.serviceDeskEmailTemplate.upsert({
      where: { projectId_name: { projectId: project.id, name } },
      create: { projectId: project.id, name, content, updatedById: actor?.id ?? null },
      update: { content, updatedById: actor?.id ?? null },
    });
    await recordSettingEvent(tx, project.id, actor, { template: name, action: "saved" });
  });
  return getEmailTemplate(actor, projectPath, name);
}

/** Drops the project's text for `name`: mail uses emails/<name>.md again. Audited only when there was one. */
export async function resetEmailTemplate(actor: Actor | null, projectPath: string, nameInput: string): Promise<EmailTemplateView> {
  const { project } = await requireProjectSettings(actor, projectPath);
  const name = templateName(nameInput);
  await db().$transaction(async (tx) => {
    const { count } = await tx.serviceDeskEmailTemplate.deleteMany({ where: { projectId: project.id, name } });
    if (count) await recordSettingEvent(tx, project.id, actor, { template: name, action: "reset" });
  });
  return getEmailTemplate(actor, projectPath, name);
}

/** What the preview fills in: a made-up issue in this project (or real values, e.g. to compare with a sent mail). */
export type PreviewSample = Omit<MailValuesInput, "project">;

export const PREVIEW_SAMPLE: PreviewSample = {
  issue: {
    iid: 12,
    description: "Hello,\n\nsmoke is coming out of the printer on the **second floor**. Please help!\n\nJake",
  },
  noteText: "Thanks for letting us know. Have you tried turning it off and on again?\n\n- unplug it\n- wait ten seconds",
  replyKey: "0123456789abcdef0123456789abcdef",
};

export interface EmailPreview {
  html: string;
  text: string;
  /** Every `%{…}`/`%<…>` in the template; `known: false` ones stay in the mail as typed. */
  placeholders: PlaceholderMatch[];
}

/**
 * Renders `content` as template `name` would be sent for this project — the same render function and the
 * same placeholder values as the outgoing mail — without saving anything.
 */
export async function previewEmailTemplate(
  actor: Actor | null,
  projectPath: string,
  nameInput: string,
  content: string,
  sample: PreviewSample = PREVIEW_SAMPLE,
): Promise<EmailPreview> {
  const { project } = await requireProjectSettings(actor, projectPath);
  const name = templateName(nameInput);
  if (content.length > 50_000) throw new AppError("bad_request", "Template is too long (50,000 characters at most).", { content: "Template is too long (50,000 characters at most)." });
  const values = serviceDeskMailValues({ project, ...sample, noteText: name === "new_note" ? sample.noteText : undefined });
  const rendered = await renderServiceDeskTemplate(name, content, values);
  return { ...rendered, placeholders: findPlaceholders(content, name) };
}


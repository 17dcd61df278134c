// Service Desk settings of a project: on/off and the address as the team sees them, the full settings form
// (Maintainer and up; 404 below), validated changes recorded in the audit trail, and that trail.
import type { Actor } from "@/lib/auth/actor";
import { can } from "@/lib/auth/roles";
import { db, type Db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { AppError, notFound } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { updateServiceDeskSettingsSchema, type ServiceDeskSettingsInput } from "@/lib/schemas";
import { aliasAddress, fullPathSlug, serviceDeskAddress } from "@/lib/service-desk/address";
import { loadProjectAccess, type ProjectAccess } from "./access";
import { fieldErrorsOf } from "./validation";

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export const DEFAULT_OUTGOING_NAME = "Support Bot";

export interface ServiceDeskView {
  enabled: boolean;
  /** Only for Maintainers and up: the internal address is never shown below that role. */
  address: string | null;
  aliasAddress: string | null;
}

export async function getServiceDesk(actor: Actor | null, projectPath: string): Promise<ServiceDeskView> {
  const { project, role } = await loadProjectAccess(actor, projectPath);
  const settings = await db().serviceDeskSetting.findUnique({ where: { projectId: project.id }, select: { enabled: true, projectKey: true } });
  const seesAddress = can(role, "service_desk:address");
  return {
    enabled: settings?.enabled ?? false,
    address: seesAddress ? serviceDeskAddress(project) : null,
    aliasAddress: seesAddress ? aliasAddress(project, settings?.projectKey) : null,
  };
}

/** Turns Service Desk on or off: one field of `updateServiceDeskSettings`, audited like the others. */
export async function setServiceDeskEnabled(actor: Actor | null, projectPath: string, enabled: boolean): Promise<ServiceDeskView> {
  await updateServiceDeskSettings(actor, projectPath, { enabled });
  return getServiceDesk(actor, projectPath);
}

/**
 * The project, for a Maintainer and up. Everyone else who may see the project gets not_found as well: the
 * settings, the address and the mail templates are not theirs to know about.
 */
export async function requireProjectSettings(actor: Actor | null, projectPath: string, tx?: Tx): Promise<ProjectAccess> {
  const access = await loadProjectAccess(actor, projectPath, tx);
  if (!can(access.role, "project:settings")) throw notFound("Page");
  return access;
}

// --- The settings form ---

/** The columns the form edits, as stored (null = none / default). */
interface SettingColumns {
  enabled: boolean;
  projectKey: string | null;
  outgoingName: string | null;
  issueTemplateKey: string | null;
  ticketsConfidentialByDefault: boolean;
  reopenIssueOnExternalParticipantNote: boolean;
  addExternalParticipantsFromCc: boolean;
  sendThankYouEmail: boolean;
  emailOnClose: boolean;
}

const SETTING_FIELDS = [
  "enabled",
  "projectKey",
  "outgoingName",
  "issueTemplateKey",
  "ticketsConfidentialByDefault",
  "reopenIssueOnExternalParticipantNote",
  "addExternalParticipantsFromCc",
  "sendThankYouEmail",
  "emailOnClose",
] as const satisfies readonly (keyof SettingColumns)[];

// The schema's defaults, for a project that never saved its settings.
const DEFAULTS: SettingColumns = {
  enabled: false,
  projectKey: null,
  outgoingName: null,
  issueTemplateKey: null,
  ticketsConfidentialByDefault: true,
  reopenIssueOnExternalParticipantNote: false,
  addExternalParticipantsFromCc: false,
  sendThankYouEmail: true,
  emailOnClose: false,
};

const settingSelect = Object.fromEntries(SETTING_FIELDS.map((f) => [f, true])) as Record<keyof SettingColumns, true>;

async function loadColumns(tx: Pick<Db, "serviceDeskSetting">, projectId: number): Promise<SettingColumns> {
  return (await tx.serviceDeskSetting.findUnique({ where: { projectId }, select: settingSelect })) ?? DEFAULTS;
}

export interface ServiceDeskSettingsView {
  /** The form's values (empty strings for "none"). */
  values: ServiceDeskSettingsInput;
  /** The new-format address; the legacy `<full/path>` key is still accepted but never advertised. */
  address: string;
  /** Set when SERVICE_DESK_EMAIL_ADDRESS is configured: the alias address is `${before}${suffix}${after}`. */
  alias: { before: string; after: string; address: string | null } | null;
  defaultOutgoingName: string;
  /** The project's description templates, by name (the issue template is chosen among them). */
  issueTemplates: string[];
  /** The chosen issue template no longer exists: new issues arrive without it, with a warning note. */
  issueTemplateMissing: boolean;
}

function toFormValues(columns: SettingColumns): ServiceDeskSettingsInput {
  return {
    ...columns,
    projectKey: columns.projectKey ?? "",
    outgoingName: columns.outgoingName ?? "",
    issueTemplateKey: columns.issueTemplateKey ?? "",
  };
}

function aliasParts(project: { fullPath: string }, suffix: string | null): ServiceDeskSettingsView["alias"] {
  const pattern = env().SERVICE_DESK_EMAIL_ADDRESS;
  if (!pattern) return null;
  const [before, after] = pattern.split("%{key}");
  return { before: `${before}${fullPathSlug(project.fullPath)}-`, after, address: aliasAddress(project, suffix) };
}

export async function getServiceDeskSettings(actor: Actor | null, projectPath: string): Promise<ServiceDeskSettingsView> {
  const { project } = await requireProjectSettings(actor, projectPath);
  const [columns, templates] = await Promise.all([
    loadColumns(db(), project.id),
    db().issueTemplate.findMany({ where: { projectId: project.id }, select: { name: true }, orderBy: { name: "asc" } }),
  ]);
  const names = templates.map((t) => t.name);
  return {
    values: toFormValues(columns),
    address: serviceDeskAddress(project),
    alias: aliasParts(project, columns.projectKey),
    defaultOutgoingName: DEFAULT_OUTGOING_NAME,
    issueTemplates: names,
    issueTemplateMissing: !!columns.issueTemplateKey && !names.includes(columns.issueTemplateKey),
  };
}

type Changes = Partial<Record<keyof SettingColumns, [string | boolean | null, string | boolean | null]>>;

/**
 * Changes any subset of the settings (absent fields stay as they are; empty strings clear the alias suffix,
 * the display name and the issue template). Validation errors carry the field's name. The change and an
 * audit row (`{ field: [before, after] }`, only fields that changed) are written in one transaction.
 */
export async function updateServiceDeskSettings(
  actor: Actor | null,
  projectPath: string,
  input: Partial<Record<keyof ServiceDeskSettingsInput, unknown>>,
): Promise<ServiceDeskSettingsView> {
  // Authorization first: someone who may not see the settings learns nothing from validation messages.
  await requireProjectSettings(actor, projectPath);
  const parsed = updateServiceDeskSettingsSchema.safeParse(nullsToEmpty(input));
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  const wanted = parsed.data;

  await db().$transaction(async (tx) => {
    const { project } = await requireProjectSettings(actor, projectPath, tx);
    // One settings change at a time per project, so `before` in the audit row is what was really replaced.
    await tx.$queryRaw`SELECT id FROM projects WHERE id = ${project.id} FOR UPDATE`;
    const before = await loadColumns(tx, project.id);
    const after: SettingColumns = { ...before };
    for (const field of SETTING_FIELDS) {
      const value = wanted[field];
      if (value === undefined) continue;
      (after as unknown as Record<string, unknown>)[field] = typeof value === "string" ? value || null : value;
    }

    const changes: Changes = {};
    for (const field of SETTING_FIELDS) if (before[field] !== after[field]) changes[field] = [before[field], after[field]];
    if (Object.keys(changes).length === 0) return;

    if (changes.projectKey && after.projectKey) await checkAliasSuffix(tx, project, after.projectKey);
    // A template that disappeared may stay chosen (saving other fields must work); choosing one needs it to exist.
    if (changes.issueTemplateKey && after.issueTemplateKey) {
      const exists = await tx.issueTemplate.findUnique({
        where: { projectId_name: { projectId: project.id, name: after.issueTemplateKey } },
        select: { id: true },
      });
      if (!exists) {
        const message = `There is no description template named "${after.issueTemplateKey}".`;
        throw new AppError("bad_request", message, { issueTemplateKey: message });
      }
    }

    await tx.serviceDeskSetting.upsert({
      where: { projectId: project.id },
      create: { projectId: project.id, ...after },
      update: after,
    });
    await recordSettingEvent(tx, project.id, actor, changes);
  });
  return getServiceDeskSettings(actor, projectPath);
}

function nullsToEmpty(input: Partial<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v === null ? "" : v]));
}

/** The alias `<slug>-<suffix>` must name one project: no other project with the same slug may use the suffix. */
async function checkAliasSuffix(tx: Tx, project: { id: number; fullPath: string }, suffix: string) {
  const slug = fullPathSlug(project.fullPath);
  // Two projects with the same slug saving the same suffix at once: the second waits here and then sees the first.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`service-desk-alias:${slug}-${suffix}`}))`;
  const others = await tx.serviceDeskSetting.findMany({
    where: { projectKey: suffix, projectId: { not: project.id } },
    select: { project: { select: { fullPath: true } } },
  });
  if (others.some((o) => fullPathSlug(o.project.fullPath) === slug)) {
    const message = `The suffix "${suffix}" is already used by another project with the address prefix "${slug}". Choose another one.`;
    throw new AppError("conflict", message, { projectKey: message });
  }
}

// --- Audit trail ---

export async function recordSettingEvent(
  tx: Pick<Db, "serviceDeskSettingEvent">,
  projectId: number,
  actor: Actor | null,
  changes: Prisma.InputJsonObject,
): Promise<void> {
  await tx.serviceDeskSettingEvent.create({ data: { projectId, actorId: actor?.id ?? null, changes } });
}

export interface SettingEventView {
  id: number;
  createdAt: Date;
  actor: { name: string | null; username: string } | null;
  changes: Prisma.JsonValue;
  /** One human line per change, e.g. `Email display name: "Support Bot" → "Acme Support"`. */
  summary: string[];
}

export async function listSettingEvents(actor: Actor | null, projectPath: string, options: { limit?: number } = {}): Promise<SettingEventView[]> {
  const { project } = await requireProjectSettings(actor, projectPath);
  const rows = await db().serviceDeskSettingEvent.findMany({
    where: { projectId: project.id },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(Math.max(options.limit ?? 20, 1), 100),
    select: { id: true, createdAt: true, changes: true, actor: { select: { name: true, username: true } } },
  });
  return rows.map((row) => ({ ...row, summary: describeSettingChanges(row.changes) }));
}

export const SETTING_LABELS: Record<keyof SettingColumns, string> = {
  enabled: "Service Desk",
  projectKey: "Alias suffix",
  outgoingName: "Email display name",
  issueTemplateKey: "Issue template",
  ticketsConfidentialByDefault: "Tickets confidential by default",
  reopenIssueOnExternalParticipantNote: "Reopen issue on customer reply",
  addExternalParticipantsFromCc: "Add Cc recipients as participants",
  sendThankYouEmail: "Send thank-you email",
  emailOnClose: "Email the customer when an issue is closed",
};

function shown(value: unknown): string {
  if (value === true) return "on";
  if (value === false) return "off";
  if (value === null || value === undefined || value === "") return "none";
  return JSON.stringify(value);
}

/** Audit rows as sentences; unknown shapes (from a later version) are shown as JSON rather than hidden. */
export function describeSettingChanges(changes: Prisma.JsonValue): string[] {
  if (!changes || typeof changes !== "object" || Array.isArray(changes)) return [JSON.stringify(changes)];
  const record = changes as Record<string, Prisma.JsonValue>;
  if (typeof record.template === "string") {
    return [record.action === "reset" ? `Email template ${record.template} reset to the default` : `Email template ${record.template} saved`];
  }
  if (typeof record.descriptionTemplate === "string") {
    const name = JSON.stringify(record.descriptionTemplate);
    if (record.action === "created") return [`Description template ${name} created`];
    if (record.action === "deleted") return [`Description template ${name} deleted`];
    if (typeof record.renamedFrom === "string") return [`Description template ${JSON.stringify(record.renamedFrom)} renamed to ${name}`];
    return [`Description template ${name} edited`];
  }
  // jsonb keeps keys in its own order: show them in the form's order.
  const rank = (field: string) => ((SETTING_FIELDS as readonly string[]).indexOf(field) + 1 || SETTING_FIELDS.length + 1);
  const entries = Object.entries(record).sort(([a], [b]) => rank(a) - rank(b));
  return entries.map(([field, value]) => {
    const label = SETTING_LABELS[field as keyof SettingColumns] ?? field;
    return Array.isArray(value) && value.length === 2 ? `${label}: ${shown(value[0])} → ${shown(value[1])}` : `${label}: ${JSON.stringify(value)}`;
  });
}

// REST API resources: resolving `:id` (numeric or URL-encoded full path) and the GitLab-shaped JSON of each
// entity (snake_case, DESIGN.md "REST API"). Only the fields listed there and a few harmless extras.
import type { ServiceDeskSettingsView } from "@/lib/data/service-desk";
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { notFound } from "@/lib/errors";
import type { ServiceDeskSettingsInput } from "@/lib/schemas";

/** The project's full path for an API `:id`; unknown ids are 404 like projects the user may not see. */
export async function projectPathFromApiId(id: string): Promise<string> {
  let value = id;
  try {
    value = decodeURIComponent(id);
  } catch {
    throw notFound("Project");
  }
  if (/^\d+$/.test(value)) {
    const project = await db().project.findUnique({ where: { id: Number(value) }, select: { fullPath: true } });
    if (!project) throw notFound("Project");
    return project.fullPath;
  }
  return value.toLowerCase();
}

export function parseIid(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw notFound("Issue");
  return Number(value);
}

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

export interface ApiUser {
  id: string;
  username: string;
  name: string | null;
}

export const userJson = (user: ApiUser | null) =>
  user ? { id: user.id, username: user.username, name: user.name ?? user.username, state: "active" } : null;

/** GET /user: GitLab's "current user" (the fields clients read), with web_url to the app and no avatar. */
export function currentUserJson(user: ApiUser & { email: string; isAdmin: boolean; isBot: boolean; createdAt: Date }) {
  return {
    ...userJson(user)!,
    email: user.email,
    public_email: null,
    avatar_url: null,
    web_url: `${env().APP_URL}/`,
    created_at: iso(user.createdAt),
    is_admin: user.isAdmin,
    bot: user.isBot,
  };
}

export function projectJson(project: { id: number; fullPath: string; name: string; description: string; namespace?: string; path?: string }, serviceDeskEnabled: boolean) {
  const [namespace, path] = project.fullPath.split("/");
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    path,
    path_with_namespace: project.fullPath,
    namespace: { path: namespace, full_path: namespace },
    web_url: `${env().APP_URL}/${project.fullPath}`,
    service_desk_enabled: serviceDeskEnabled,
  };
}

export interface ApiNote {
  id: number;
  body: string;
  internal: boolean;
  system: boolean;
  externalAuthor: string | null;
  createdAt: Date;
  updatedAt?: Date;
  author: ApiUser | null;
}

export function noteJson(note: ApiNote, issueIid: number) {
  return {
    id: note.id,
    body: note.body,
    internal: note.internal,
    confidential: note.internal,
    system: note.system,
    author: userJson(note.author),
    external_author: note.externalAuthor,
    noteable_type: "Issue",
    noteable_iid: issueIid,
    created_at: iso(note.createdAt),
    updated_at: iso(note.updatedAt ?? note.createdAt),
  };
}

// Service Desk settings: API (GitLab) field names ↔ the settings form's.
const SERVICE_DESK_FIELDS = {
  enabled: "enabled",
  project_key: "projectKey",
  outgoing_name: "outgoingName",
  issue_template_key: "issueTemplateKey",
  tickets_confidential_by_default: "ticketsConfidentialByDefault",
  reopen_issue_on_external_participant_note: "reopenIssueOnExternalParticipantNote",
  add_external_participants_from_cc: "addExternalParticipantsFromCc",
  send_thank_you_email: "sendThankYouEmail",
  email_on_close: "emailOnClose",
} as const satisfies Record<string, keyof ServiceDeskSettingsInput>;

export function serviceDeskJson(view: ServiceDeskSettingsView) {
  const values = view.values;
  return {
    enabled: values.enabled,
    service_desk_address: view.address,
    alias_address: view.alias?.address ?? null,
    project_key: values.projectKey || null,
    outgoing_name: values.outgoingName || null,
    issue_template_key: values.issueTemplateKey || null,
    tickets_confidential_by_default: values.ticketsConfidentialByDefault,
    reopen_issue_on_external_participant_note: values.reopenIssueOnExternalParticipantNote,
    add_external_participants_from_cc: values.addExternalParticipantsFromCc,
    send_thank_you_email: values.sendThankYouEmail,
    email_on_close: values.emailOnClose,
  };
}

/** A PUT body (JSON, or form-encoded "true"/"false") → the settings input; unknown fields are ignored. */
export function serviceDeskInputFromApi(body: Record<string, unknown>): Partial<Record<keyof ServiceDeskSettingsInput, unknown>> {
  const input: Partial<Record<keyof ServiceDeskSettingsInput, unknown>> = {};
  for (const [apiName, field] of Object.entries(SERVICE_DESK_FIELDS)) {
    if (!(apiName in body)) continue;
    const value = body[apiName];
    input[field] = value === "true" ? true : value === "false" ? false : value;
  }
  return input;
}

export interface ApiIssue {
  id: number;
  iid: number;
  title: string;
  description?: string;
  state: "OPENED" | "CLOSED";
  confidential: boolean;
  externalAuthor: string | null;
  serviceDesk?: boolean;
  author: { id?: string; username: string; name: string | null } | null;
  labels: { title: string }[];
  assignees: { id?: string; username: string; name: string | null }[];
  commentCount?: number;
  createdAt: Date;
  updatedAt: Date;
  closedAt?: Date | null;
}

export function issueJson(issue: ApiIssue, project: { id: number; fullPath: string }) {
  const serviceDesk = issue.serviceDesk ?? issue.author?.username === "support-bot";
  const user = (u: { id?: string; username: string; name: string | null }) => ({ id: u.id ?? null, username: u.username, name: u.name ?? u.username, state: "active" });
  return {
    id: issue.id,
    iid: issue.iid,
    project_id: project.id,
    title: issue.title,
    description: issue.description ?? null,
    state: issue.state === "OPENED" ? "opened" : "closed",
    confidential: issue.confidential,
    web_url: `${env().APP_URL}/${project.fullPath}/issues/${issue.iid}`,
    labels: issue.labels.map((label) => label.title),
    assignees: issue.assignees.map(user),
    author: issue.author ? user(issue.author) : null,
    // GitLab's field: the customer's address on Service Desk issues (masked below Reporter, as in the UI).
    service_desk_reply_to: serviceDesk ? issue.externalAuthor : null,
    user_notes_count: issue.commentCount ?? null,
    created_at: iso(issue.createdAt),
    updated_at: iso(issue.updatedAt),
    closed_at: iso(issue.closedAt),
  };
}

/** `labels` as GitLab takes it: "a,b" or ["a", "b"]; trimmed, empty entries dropped. */
export function labelTitlesFromApi(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return value === null ? [] : undefined;
  const list = Array.isArray(value) ? value : String(value).split(",");
  return list.map((title) => String(title).trim()).filter(Boolean);
}

/** A linked repository; `webhook_secret` only in the answer that created it. */
export function repositoryJson(
  repository: { id: number; provider: string; fullPath: string; baseUrl: string; webUrl: string; webhookUrl: string; defaultBranch: string | null; lastDelivery: { at: Date; status: string; summary: string | null } | null; createdAt: Date },
  secret?: string,
) {
  return {
    id: repository.id,
    provider: repository.provider,
    full_path: repository.fullPath,
    base_url: repository.baseUrl,
    web_url: repository.webUrl,
    webhook_url: repository.webhookUrl,
    ...(secret !== undefined ? { webhook_secret: secret } : {}),
    default_branch: repository.defaultBranch,
    last_delivery_at: iso(repository.lastDelivery?.at),
    last_delivery_status: repository.lastDelivery?.status ?? null,
    last_delivery_summary: repository.lastDelivery?.summary ?? null,
    created_at: iso(repository.createdAt),
  };
}

/** A change linked to an issue (`linked_changes` of the issue JSON). */
export function linkedChangeJson(change: { provider: string; repositoryPath: string; kind: string; externalId: string; reference: string; title: string; url: string; state: string; closing: boolean; closedIssue: boolean; source: string; createdAt: Date }) {
  return {
    provider: change.provider,
    repository: change.repositoryPath,
    kind: change.kind,
    id: change.externalId,
    reference: change.reference,
    title: change.title,
    web_url: change.url,
    state: change.state,
    closes_issue: change.closing,
    closed_issue: change.closedIssue,
    source: change.source,
    created_at: iso(change.createdAt),
  };
}

/** GitLab's access levels for this app's roles. */
export const ACCESS_LEVELS = { GUEST: 10, REPORTER: 20, DEVELOPER: 30, MAINTAINER: 40, OWNER: 50 } as const;

/** A project member as GitLab lists them (no email: members' addresses are not part of the API). */
export function memberJson(member: { userId: string; username: string; name: string | null; role: keyof typeof ACCESS_LEVELS; since: Date }) {
  return {
    ...userJson({ id: member.userId, username: member.username, name: member.name })!,
    avatar_url: null,
    web_url: `${env().APP_URL}/`,
    access_level: ACCESS_LEVELS[member.role],
    created_at: iso(member.since),
    expires_at: null,
  };
}

/** Black or white text on a label's colour, whichever reads better (GitLab's `text_color`). */
function textColorOn(hex: string): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return "#FFFFFF";
  const [r, g, b] = m.slice(1).map((h) => parseInt(h, 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#1F1E24" : "#FFFFFF";
}

/** A project label, GitLab-shaped (`name` is this app's title). */
export function labelJson(label: { id: number; title: string; color: string; description: string }) {
  return {
    id: label.id,
    name: label.title,
    color: label.color,
    text_color: textColorOn(label.color),
    description: label.description || null,
    priority: null,
    subscribed: false,
    is_project_label: true,
  };
}


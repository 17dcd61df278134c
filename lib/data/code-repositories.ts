// Linked GitHub/GitLab repositories of a project (Maintainer and up): link, unlink, regenerate the webhook
// secret, the reference key, and the log of deliveries. The secret is returned in plain text only when made.
import type { Actor } from "@/lib/auth/actor";
import { generateWebhookSecret, sealSecret } from "@/lib/code-hosts/secret";
import { normalizeBaseUrl, repositoryWebUrl, webhookUrl } from "@/lib/code-hosts/repository";
import type { Provider } from "@/lib/code-hosts/types";
import { db } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import { issueReferenceKeySchema, linkRepositorySchema, type LinkRepositoryInput } from "@/lib/schemas";
import { can } from "@/lib/auth/roles";
import { loadProjectAccess } from "./access";
import { isUniqueViolation } from "./users";
import { fieldErrorsOf } from "./validation";

/** Like the other settings: members below Maintainer get 404, not 403 (they do not learn what is linked). */
async function requireProject(actor: Actor | null, projectPath: string, action: "code_host:manage") {
  const access = await loadProjectAccess(actor, projectPath);
  if (!can(access.role, action)) throw notFound("Page");
  return access;
}

const repositorySelect = {
  id: true,
  provider: true,
  fullPath: true,
  baseUrl: true,
  defaultBranch: true,
  lastDeliveryAt: true,
  lastDeliveryStatus: true,
  lastDeliverySummary: true,
  createdAt: true,
} as const;

type RepositoryRow = { id: number; provider: string; fullPath: string; baseUrl: string; defaultBranch: string | null; lastDeliveryAt: Date | null; lastDeliveryStatus: string | null; lastDeliverySummary: string | null; createdAt: Date };

export interface RepositoryView {
  id: number;
  provider: Provider;
  fullPath: string;
  baseUrl: string;
  webUrl: string;
  webhookUrl: string;
  defaultBranch: string | null;
  lastDelivery: { at: Date; status: string; summary: string | null } | null;
  createdAt: Date;
}

function view(row: RepositoryRow): RepositoryView {
  const provider = row.provider as Provider;
  return {
    id: row.id,
    provider,
    fullPath: row.fullPath,
    baseUrl: row.baseUrl,
    webUrl: repositoryWebUrl(row),
    webhookUrl: webhookUrl({ id: row.id, provider }),
    defaultBranch: row.defaultBranch,
    lastDelivery: row.lastDeliveryAt && row.lastDeliveryStatus ? { at: row.lastDeliveryAt, status: row.lastDeliveryStatus, summary: row.lastDeliverySummary } : null,
    createdAt: row.createdAt,
  };
}

export async function listRepositories(actor: Actor | null, projectPath: string): Promise<RepositoryView[]> {
  const { project } = await requireProject(actor, projectPath, "code_host:manage");
  const rows = await db().codeRepository.findMany({ where: { projectId: project.id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: repositorySelect });
  return rows.map(view);
}

async function requireRepository(actor: Actor | null, projectPath: string, repositoryId: number) {
  const { project } = await requireProject(actor, projectPath, "code_host:manage");
  const row = Number.isInteger(repositoryId) && repositoryId > 0
    ? await db().codeRepository.findFirst({ where: { id: repositoryId, projectId: project.id }, select: repositorySelect })
    : null;
  if (!row) throw notFound("Repository");
  return { project, row };
}

export async function getRepository(actor: Actor | null, projectPath: string, repositoryId: number): Promise<RepositoryView> {
  return view((await requireRepository(actor, projectPath, repositoryId)).row);
}

/** Links a repository; the answer carries the new webhook secret, which is never shown again. */
export async function linkRepository(actor: Actor | null, projectPath: string, input: LinkRepositoryInput): Promise<RepositoryView & { secret: string }> {
  const { project } = await requireProject(actor, projectPath, "code_host:manage");
  const parsed = linkRepositorySchema.safeParse(input);
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  const { provider, fullPath } = parsed.data;
  const baseUrl = normalizeBaseUrl(provider, parsed.data.baseUrl);
  const taken = await db().codeRepository.findFirst({
    where: { projectId: project.id, provider, baseUrl, fullPath: { equals: fullPath, mode: "insensitive" } },
    select: { id: true },
  });
  if (taken) throw new AppError("conflict", "This repository is already linked.", { fullPath: "This repository is already linked to this project." });
  const secret = generateWebhookSecret();
  try {
    const row = await db().codeRepository.create({
      data: { projectId: project.id, provider, fullPath, baseUrl, secretSealed: sealSecret(secret), createdById: actor!.id },
      select: repositorySelect,
    });
    return { ...view(row), secret };
  } catch (error) {
    // Two identical requests at once: the unique index lets one through.
    if (isUniqueViolation(error)) throw new AppError("conflict", "This repository is already linked.", { fullPath: "This repository is already linked to this project." });
    throw error;
  }
}

/** A new secret for a repository (the old one stops working at once); shown once, like at linking. */
export async function regenerateRepositorySecret(actor: Actor | null, projectPath: string, repositoryId: number): Promise<RepositoryView & { secret: string }> {
  const { row } = await requireRepository(actor, projectPath, repositoryId);
  const secret = generateWebhookSecret();
  await db().codeRepository.update({ where: { id: row.id }, data: { secretSealed: sealSecret(secret) } });
  return { ...view(row), secret };
}

/** Unlinks a repository: its deliveries and linked changes go with it; issues it closed stay closed. */
export async function unlinkRepository(actor: Actor | null, projectPath: string, repositoryId: number): Promise<{ id: number }> {
  const { row } = await requireRepository(actor, projectPath, repositoryId);
  await db().codeRepository.delete({ where: { id: row.id } });
  return { id: row.id };
}

export interface DeliveryView {
  id: string;
  event: string;
  sender: string | null;
  summary: string | null;
  status: string;
  outcome: string | null;
  error: string | null;
  attempts: number;
  size: number;
  receivedAt: Date;
  processedAt: Date | null;
}

/** The latest deliveries of one repository (who, what, outcome), newest first. */
export async function listDeliveries(actor: Actor | null, projectPath: string, repositoryId: number, options: { limit?: number } = {}): Promise<DeliveryView[]> {
  const { row } = await requireRepository(actor, projectPath, repositoryId);
  return db().codeHostDelivery.findMany({
    where: { repositoryId: row.id },
    orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
    take: Math.min(Math.max(options.limit ?? 50, 1), 200),
    select: { id: true, event: true, sender: true, summary: true, status: true, outcome: true, error: true, attempts: true, size: true, receivedAt: true, processedAt: true },
  });
}

export async function getIssueReferenceKey(actor: Actor | null, projectPath: string): Promise<string | null> {
  const { project } = await requireProject(actor, projectPath, "code_host:manage");
  const row = await db().project.findUniqueOrThrow({ where: { id: project.id }, select: { issueReferenceKey: true } });
  return row.issueReferenceKey;
}

/** Sets (or with "" clears) the key that makes `KEY-12` a reference to issue 12 of this project. */
export async function setIssueReferenceKey(actor: Actor | null, projectPath: string, key: string): Promise<string | null> {
  const { project } = await requireProject(actor, projectPath, "code_host:manage");
  const parsed = issueReferenceKeySchema.safeParse(key);
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", { key: parsed.error.issues[0]?.message ?? "Invalid key." });
  const value = parsed.data || null;
  await db().project.update({ where: { id: project.id }, data: { issueReferenceKey: value } });
  return value;
}

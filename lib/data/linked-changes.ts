// Changes linked to issues (commits, pull/merge requests, code-host issues): applying what a webhook delivery
// says to one issue (link, mention note, close and tell the customer), the issue's list, and linking by hand.
import type { Actor } from "@/lib/auth/actor";
import type { ChangeEvent, Provider } from "@/lib/code-hosts/types";
import { PROVIDER_NAMES } from "@/lib/code-hosts/types";
import type { PastedChange } from "@/lib/code-hosts/repository";
import { db } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import { mailParticipants } from "@/lib/service-desk/notifications";
import { requireProject } from "./access";
import { requireVisibleIssue } from "./issues";

/** The system actors that close issues for a code host (created by the code_hosts migration). */
export const CODE_HOST_ACTORS: Record<Provider, { id: string; username: string; name: string }> = {
  github: { id: "code-host-github", username: "github-bot", name: "GitHub" },
  gitlab: { id: "code-host-gitlab", username: "gitlab-bot", name: "GitLab" },
};

const ensured = new Set<Provider>();

/** The code host's actor, created if the migration could not (its username was taken). */
async function codeHostActorId(provider: Provider): Promise<string> {
  const actor = CODE_HOST_ACTORS[provider];
  if (ensured.has(provider)) return actor.id;
  const exists = await db().user.findUnique({ where: { id: actor.id }, select: { id: true } });
  if (!exists) {
    const taken = await db().user.findUnique({ where: { username: actor.username }, select: { id: true } });
    await db().user.createMany({
      data: [{ id: actor.id, email: `${actor.username}@service-desk.invalid`, username: taken ? `${actor.username}-${actor.id.slice(-6)}` : actor.username, name: actor.name, isBot: true }],
      skipDuplicates: true,
    });
  }
  ensured.add(provider);
  return actor.id;
}

const KIND_WORDS: Record<Provider, Record<string, string>> = {
  github: { merge_request: "pull request", commit: "commit", issue: "issue" },
  gitlab: { merge_request: "merge request", commit: "commit", issue: "issue" },
};

/** "merge request [!45](url) in acme/game-server": how system notes name a change (links rendered on the page). */
export function describeChange(provider: Provider, change: { kind: string; reference: string; url: string }, repositoryPath: string): string {
  const word = KIND_WORDS[provider][change.kind] ?? change.kind;
  const ref = change.url ? `[${change.reference.replace(/[[\]]/g, "")}](${change.url})` : change.reference;
  return `${word} ${ref} in ${repositoryPath}`;
}

export interface ApplyChangeInput {
  repository: { id: number; provider: Provider; fullPath: string };
  issueId: number;
  change: ChangeEvent;
  /** A closing keyword names this issue. */
  closing: boolean;
}

export type ApplyChangeResult = { effect: "closed" | "mentioned" | "unchanged"; outboxIds: string[] };

/**
 * Applies one change to one issue, in one transaction, idempotently: the link is recorded once per (issue,
 * repository, change) — a second delivery of the same commit or merge request, under any delivery id, finds it
 * and only updates its state. The first sight of a change notes "mentioned in …"; a closing change merged to
 * the default branch closes an open issue once ("closed via …", the code host as actor, the `issue_closed` mail
 * when the project sends it), and never again after someone reopened the issue.
 */
export async function applyChangeToIssue(input: ApplyChangeInput): Promise<ApplyChangeResult> {
  const { repository, issueId, change, closing } = input;
  const actorId = await codeHostActorId(repository.provider);
  const key = { issueId_repositoryId_kind_externalId: { issueId, repositoryId: repository.id, kind: change.kind, externalId: change.externalId } };
  const described = describeChange(repository.provider, change, repository.fullPath);
  return db().$transaction(async (tx) => {
    // ON CONFLICT DO NOTHING: a concurrent delivery of the same change waits for ours, then finds the row.
    const { count } = await tx.linkedChange.createMany({
      data: [
        {
          issueId,
          repositoryId: repository.id,
          kind: change.kind,
          externalId: change.externalId,
          title: change.title.slice(0, 500),
          url: change.url.slice(0, 2048),
          state: change.state,
          closing,
          source: "webhook",
        },
      ],
      skipDuplicates: true,
    });
    const inserted = count === 1;
    const link = await tx.linkedChange.findUniqueOrThrow({ where: key, select: { id: true, closedIssue: true, closing: true, state: true, title: true } });
    if (!inserted && (link.state !== change.state || link.title !== change.title || (closing && !link.closing)))
      await tx.linkedChange.update({ where: { id: link.id }, data: { state: change.state, title: change.title.slice(0, 500), closing: link.closing || closing } });

    // Closes on the first sight of the change in its closing state only: the same merge or commit delivered
    // again (any delivery id) after someone reopened the issue — or after it was closed when first seen — never
    // closes it again.
    const firstSight = inserted || link.state !== change.state;
    if (change.closes && closing && !link.closedIssue && firstSight) {
      const now = new Date();
      const closed = await tx.issue.updateMany({ where: { id: issueId, state: "OPENED" }, data: { state: "CLOSED", closedAt: now, closedById: actorId } });
      if (closed.count === 1) {
        await tx.note.create({ data: { issueId, authorId: actorId, system: true, body: `closed via ${described}` } });
        await tx.linkedChange.update({ where: { id: link.id }, data: { closedIssue: true } });
        const label = `${KIND_WORDS[repository.provider][change.kind]} ${change.reference} in ${repository.fullPath}`;
        const outboxIds = await mailParticipants(tx, issueId, "issue_closed", { CLOSED_BY_URL: change.url, CLOSED_BY_TITLE: `${change.title} (${label})` });
        return { effect: "closed", outboxIds };
      }
    }
    if (!inserted) return { effect: "unchanged", outboxIds: [] };
    await tx.note.create({ data: { issueId, authorId: actorId, system: true, body: `mentioned in ${described}` } });
    return { effect: "mentioned", outboxIds: [] };
  });
}

export interface LinkedChangeView {
  id: number;
  provider: Provider;
  repositoryPath: string;
  kind: string;
  externalId: string;
  reference: string;
  title: string;
  url: string;
  state: string;
  closing: boolean;
  closedIssue: boolean;
  source: string;
  createdAt: Date;
}

function referenceOf(provider: string, kind: string, externalId: string): string {
  if (kind === "commit") return externalId.slice(0, 7);
  return kind === "merge_request" && provider === "gitlab" ? `!${externalId}` : `#${externalId}`;
}

/** The changes linked to an issue the actor may see (404 like the issue otherwise), oldest first. */
export async function listLinkedChanges(actor: Actor | null, projectPath: string, iid: number): Promise<LinkedChangeView[]> {
  const { id } = await requireVisibleIssue(actor, projectPath, iid, "issue:read");
  return linkedChangesOf(id);
}

/** The same list for an issue already checked by the caller (lib/data only). */
export async function linkedChangesOf(issueId: number): Promise<LinkedChangeView[]> {
  const rows = await db().linkedChange.findMany({
    where: { issueId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      kind: true,
      externalId: true,
      title: true,
      url: true,
      state: true,
      closing: true,
      closedIssue: true,
      source: true,
      createdAt: true,
      repository: { select: { provider: true, fullPath: true } },
    },
  });
  return rows.map(({ repository, ...row }) => ({
    ...row,
    provider: repository.provider as Provider,
    repositoryPath: repository.fullPath,
    reference: referenceOf(repository.provider, row.kind, row.externalId),
  }));
}

/** The repositories a team member may link changes from on this project's issues. */
export async function linkableRepositories(actor: Actor | null, projectPath: string) {
  const { project } = await requireProject(actor, projectPath, "issue:link_change");
  return db().codeRepository.findMany({
    where: { projectId: project.id },
    orderBy: { id: "asc" },
    select: { id: true, provider: true, fullPath: true, baseUrl: true },
  });
}

/** Links a pasted change by hand (Reporter and up), with a system note; linking it twice is a clear error. */
export async function addManualLinkedChange(actor: Actor | null, projectPath: string, iid: number, repositoryId: number, pasted: PastedChange): Promise<LinkedChangeView> {
  const { id: issueId, project } = await requireVisibleIssue(actor, projectPath, iid, "issue:link_change");
  const repository = await db().codeRepository.findFirst({ where: { id: repositoryId, projectId: project.id }, select: { id: true, provider: true, fullPath: true } });
  if (!repository) throw notFound("Repository");
  const provider = repository.provider as Provider;
  const word = KIND_WORDS[provider][pasted.kind];
  const created = await db().$transaction(async (tx) => {
    const { count } = await tx.linkedChange.createMany({
      data: [{ issueId, repositoryId, kind: pasted.kind, externalId: pasted.externalId, title: `${PROVIDER_NAMES[provider]} ${word} ${pasted.reference}`, url: pasted.url, state: "linked", source: "manual", linkedById: actor!.id }],
      skipDuplicates: true,
    });
    if (count === 0) throw new AppError("conflict", `That ${word} is already linked to this issue.`, { url: `That ${word} is already linked to this issue.` });
    await tx.note.create({ data: { issueId, authorId: actor!.id, system: true, body: `linked ${describeChange(provider, pasted, repository.fullPath)}` } });
    return tx.linkedChange.findUniqueOrThrow({
      where: { issueId_repositoryId_kind_externalId: { issueId, repositoryId, kind: pasted.kind, externalId: pasted.externalId } },
      select: { id: true },
    });
  });
  const list = await linkedChangesOf(issueId);
  return list.find((change) => change.id === created.id)!;
}

/** Removes a link made by hand (links from deliveries record what the code host said, and stay). */
export async function removeManualLinkedChange(actor: Actor | null, projectPath: string, iid: number, changeId: number): Promise<{ id: number }> {
  const { id: issueId } = await requireVisibleIssue(actor, projectPath, iid, "issue:link_change");
  const link = await db().linkedChange.findFirst({
    where: { id: changeId, issueId },
    select: { id: true, source: true, kind: true, externalId: true, url: true, repository: { select: { provider: true, fullPath: true } } },
  });
  if (!link) throw notFound("Linked change");
  if (link.source !== "manual") throw new AppError("bad_request", "Only links added by hand can be removed; this one came from the code host.");
  const provider = link.repository.provider as Provider;
  await db().$transaction([
    db().linkedChange.delete({ where: { id: link.id } }),
    db().note.create({
      data: { issueId, authorId: actor!.id, system: true, body: `unlinked ${describeChange(provider, { kind: link.kind, reference: referenceOf(provider, link.kind, link.externalId), url: link.url }, link.repository.fullPath)}` },
    }),
  ]);
  return { id: link.id };
}

// What a stored delivery does: read the host's payload, find references to the linked project's issues, and
// apply each (lib/data/linked-changes.ts). Safe to run twice on one delivery: every effect is recorded once.
import { finishDelivery, loadDelivery, type DeliveryOutcome } from "@/lib/data/code-host-deliveries";
import { applyChangeToIssue } from "@/lib/data/linked-changes";
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { crashPoint } from "@/lib/fault-injection";
import { readGitHubDelivery } from "./github";
import { readGitLabDelivery } from "./gitlab";
import { findIssueReferences, resolveReferences } from "./references";
import type { Json } from "./payload";
import type { ChangeEvent, Provider, ReadDelivery } from "./types";

/** Issue updates one delivery may make; a push of thousands of commits naming issues stops here and says so. */
export const MAX_ISSUE_UPDATES_PER_DELIVERY = 100;

export interface ProcessedDelivery extends DeliveryOutcome {
  closed: string[];
  mentioned: string[];
  outboxIds: string[];
}

function readDelivery(provider: Provider, event: string, payload: Uint8Array): ReadDelivery {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch {
    return { kind: "ignored", repositoryPath: null, sender: null, summary: event || "(no event header)", reason: "The body is not JSON (set the webhook's content type to application/json)." };
  }
  if (!json || typeof json !== "object" || Array.isArray(json))
    return { kind: "ignored", repositoryPath: null, sender: null, summary: event || "(no event header)", reason: "The body is not a JSON object." };
  return provider === "github" ? readGitHubDelivery(event, json as Json) : readGitLabDelivery(event, json as Json);
}

/** Issues `change` names in `target`'s project: closing from its text, mentions from its text and title. */
function issuesNamed(change: ChangeEvent, target: { fullPath: string; issueReferenceKey: string | null }) {
  const appUrl = env().APP_URL;
  const refs = findIssueReferences(change.text, { appUrl });
  if (change.mentionText) refs.push(...findIssueReferences(change.mentionText, { appUrl }).map((ref) => ({ ...ref, closing: false })));
  return resolveReferences(refs, target);
}

/** Processes stored delivery `id` and records its outcome. The caller holds the delivery's lease. */
export async function processDelivery(id: string): Promise<ProcessedDelivery | null> {
  const delivery = await loadDelivery(id);
  if (!delivery) return null;
  const { repository } = delivery;
  const provider = repository.provider as Provider;
  const read = readDelivery(provider, delivery.event, delivery.payload);
  const done = async (outcome: Omit<ProcessedDelivery, "closed" | "mentioned" | "outboxIds">, extra: Partial<ProcessedDelivery> = {}): Promise<ProcessedDelivery> => {
    await finishDelivery(delivery.id, repository.id, outcome);
    return { closed: [], mentioned: [], outboxIds: [], ...outcome, ...extra };
  };

  if (read.repositoryPath && read.repositoryPath.toLowerCase() !== repository.fullPath.toLowerCase())
    return done({
      status: "ignored",
      summary: read.summary,
      sender: read.sender,
      outcome: `This delivery is about ${read.repositoryPath}, but the webhook URL belongs to ${repository.fullPath}. Use this URL only in ${repository.fullPath}'s webhook (or link ${read.repositoryPath} too).`,
    });
  if (read.kind === "ignored") return done({ status: "ignored", summary: read.summary, sender: read.sender, outcome: read.reason });
  if (read.kind === "ping")
    return done({ status: "processed", summary: read.summary, sender: read.sender, outcome: ["The webhook works.", ...read.remarks].join(" ") });

  const project = repository.project;
  const lines: string[] = [];
  const closed: string[] = [];
  const mentioned: string[] = [];
  const outboxIds: string[] = [];
  const missing = new Set<number>();
  let updates = 0;
  let skipped = 0;
  for (const change of read.changes) {
    const named = issuesNamed(change, project);
    if (named.size === 0) continue;
    const issues = await db().issue.findMany({ where: { projectId: project.id, iid: { in: [...named.keys()] } }, select: { id: true, iid: true } });
    const byIid = new Map(issues.map((issue) => [issue.iid, issue.id]));
    for (const [iid, { closing }] of named) {
      const issueId = byIid.get(iid);
      if (issueId === undefined) {
        missing.add(iid);
        continue;
      }
      if (updates >= MAX_ISSUE_UPDATES_PER_DELIVERY) {
        skipped++;
        continue;
      }
      updates++;
      const result = await applyChangeToIssue({ repository: { id: repository.id, provider, fullPath: repository.fullPath }, issueId, change, closing });
      crashPoint("delivery-after-change");
      const ref = `${project.fullPath}#${iid}`;
      const via = `${change.kind === "commit" ? "commit" : provider === "github" ? "pull request" : "merge request"} ${change.reference}`;
      if (result.effect === "closed") {
        closed.push(ref);
        lines.push(`Closed ${ref} (${via}).`);
      } else if (result.effect === "mentioned") {
        mentioned.push(ref);
        lines.push(`Noted the mention of ${ref} (${via}).`);
      } else lines.push(`${ref} already knew ${via}: nothing changed.`);
      outboxIds.push(...result.outboxIds);
    }
  }
  if (missing.size) lines.push(`No such issue in ${project.fullPath}: ${[...missing].map((iid) => `#${iid}`).join(", ")}.`);
  if (skipped) lines.push(`Stopped after ${MAX_ISSUE_UPDATES_PER_DELIVERY} issue updates; ${skipped} more were not made.`);
  if (lines.length === 0) lines.push(`No references to ${project.fullPath}'s issues.`);
  lines.push(...read.remarks);
  return done(
    { status: "processed", summary: read.summary, sender: read.sender, outcome: lines.join(" "), defaultBranch: read.defaultBranch },
    { closed, mentioned, outboxIds },
  );
}

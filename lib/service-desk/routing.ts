// Finds where an inbound mail belongs: a project's Service Desk (new issue) or an existing issue (reply),
// looking for keys in the order DESIGN.md fixes, and failing closed on anything ambiguous.
import type { Db } from "@/lib/db/client";
import { addressesInText } from "@/lib/mail/inbound/headers";
import type { InboundMessage } from "@/lib/mail/inbound/types";
import { fullPathSlug, keyFromAddress, replyKeyFromMessageId, type AddressKey } from "./address";

type Tx = Pick<Db, "project" | "serviceDeskSetting" | "sentNotification" | "issue" | "inboundEmail">;

export type Route =
  | { kind: "new_issue"; projectId: number; via: string }
  // `member`: the key was a team notification's, sent to that member (reply by email from a team member).
  | { kind: "reply"; projectId: number; issueId: number; via: string; member?: string }
  | { kind: "rejected"; reason: string; projectId?: number };

// Header locations searched for a key, in order; then SendGrid's envelope.
const ADDRESS_HEADERS = ["delivered-to", "envelope-to", "x-envelope-to", "x-original-to", "x-forwarded-to"];

function addressesIn(value: string): string[] {
  // `/[^\s<>,;:"]+@[^\s<>,;"]+/g`, in linear time (the regex took seconds on a long header without an `@`).
  return addressesInText(value).map((a) => a.toLowerCase());
}

/** (where, address) pairs in search order. */
export function candidateAddresses(message: InboundMessage): { where: string; address: string }[] {
  const list: { where: string; address: string }[] = [];
  for (const a of message.to) list.push({ where: "To", address: a.address });
  for (const a of message.cc) list.push({ where: "Cc", address: a.address });
  for (const name of ADDRESS_HEADERS)
    for (const value of message.headers[name] ?? []) for (const address of addressesIn(value)) list.push({ where: name, address });
  for (const address of message.envelope.to) list.push({ where: "envelope.to", address: address.toLowerCase() });
  return list;
}

type Resolved = { projectId: number; issueId?: number; member?: string } | { rejected: string; projectId?: number } | undefined;

async function resolveKey(tx: Tx, key: AddressKey): Promise<Resolved> {
  switch (key.kind) {
    case "reply": {
      const sent = await tx.sentNotification.findUnique({ where: { replyKey: key.replyKey }, select: { projectId: true, issueId: true, userId: true } });
      return sent ? { projectId: sent.projectId, issueId: sent.issueId, ...(sent.userId ? { member: sent.userId } : {}) } : undefined;
    }
    case "project": {
      const project = await tx.project.findUnique({ where: { id: key.projectId }, select: { id: true, fullPath: true } });
      // Both halves must match: a guessed id with another project's slug is not accepted.
      return project && fullPathSlug(project.fullPath) === key.slug ? { projectId: project.id } : undefined;
    }
    case "legacy": {
      const project = await tx.project.findUnique({ where: { fullPath: key.fullPath }, select: { id: true } });
      return project ? { projectId: project.id } : undefined;
    }
    case "alias": {
      const settings = await tx.serviceDeskSetting.findMany({
        where: { projectKey: key.suffix },
        select: { projectId: true, project: { select: { fullPath: true } } },
      });
      const matches = settings.filter((s) => fullPathSlug(s.project.fullPath) === key.slug);
      if (matches.length > 1) return { rejected: `The alias key "${key.slug}-${key.suffix}" matches several projects; refusing to guess.` };
      return matches[0] ? { projectId: matches[0].projectId } : undefined;
    }
  }
}

function messageIds(message: InboundMessage): string[] {
  return [...message.inReplyTo, ...message.references];
}

/** The issue whose mail this one answers (In-Reply-To / References), within `projectId` when given. */
async function threadedIssue(
  tx: Tx,
  message: InboundMessage,
  projectId?: number,
): Promise<{ projectId: number; issueId: number; via: string } | undefined> {
  const ids = messageIds(message);
  if (ids.length === 0) return undefined;
  const inProject = projectId === undefined ? {} : { projectId };
  const sent = await tx.sentNotification.findFirst({ where: { messageId: { in: ids }, ...inProject }, select: { projectId: true, issueId: true, messageId: true } });
  if (sent) return { projectId: sent.projectId, issueId: sent.issueId, via: `References: <${sent.messageId}>` };
  const issue = await tx.issue.findFirst({
    where: { OR: [{ externalMessageId: { in: ids } }, { threadMessageId: { in: ids } }], ...inProject },
    select: { id: true, projectId: true },
  });
  if (issue) return { projectId: issue.projectId, issueId: issue.id, via: "References: an earlier mail of this issue" };
  const inbound = await tx.inboundEmail.findFirst({
    where: { messageId: { in: ids }, issueId: { not: null }, ...inProject },
    select: { projectId: true, issueId: true, messageId: true },
  });
  if (inbound?.issueId && inbound.projectId)
    return { projectId: inbound.projectId, issueId: inbound.issueId, via: `References: <${inbound.messageId}>` };
  return undefined;
}

export async function routeMessage(tx: Tx, message: InboundMessage): Promise<Route> {
  let sawOurKey = false;
  for (const { where, address } of candidateAddresses(message)) {
    const key = keyFromAddress(address);
    if (!key) continue;
    sawOurKey = true;
    const resolved = await resolveKey(tx, key);
    if (!resolved) continue;
    if ("rejected" in resolved) return { kind: "rejected", reason: resolved.rejected };
    const via = `${where}: ${address}`;
    if (resolved.issueId) return { kind: "reply", projectId: resolved.projectId, issueId: resolved.issueId, via, ...(resolved.member ? { member: resolved.member } : {}) };
    // Mail to the project address that answers one of its issues' mails (a customer replying to their own
    // first mail, or to ours without the reply key) belongs in that issue, not in a new one.
    const thread = await threadedIssue(tx, message, resolved.projectId);
    if (thread) return { kind: "reply", projectId: resolved.projectId, issueId: thread.issueId, via: `${via}; ${thread.via}` };
    return { kind: "new_issue", projectId: resolved.projectId, via };
  }

  // No usable address: a reply key in References / In-Reply-To (`<reply-KEY@host>`)…
  for (const id of messageIds(message)) {
    const replyKey = replyKeyFromMessageId(id);
    if (!replyKey) continue;
    const resolved = await resolveKey(tx, { kind: "reply", replyKey });
    if (resolved && "issueId" in resolved && resolved.issueId)
      return { kind: "reply", projectId: resolved.projectId, issueId: resolved.issueId, via: `References: <${id}>`, ...(resolved.member ? { member: resolved.member } : {}) };
  }
  // …or a Message-ID we sent or received for an issue.
  const thread = await threadedIssue(tx, message);
  if (thread) return { kind: "reply", projectId: thread.projectId, issueId: thread.issueId, via: thread.via };
  return {
    kind: "rejected",
    reason: sawOurKey ? "The Service Desk key in the address matches no project or issue." : "No Service Desk address or reply key found in the mail.",
  };
}
